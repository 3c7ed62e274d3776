#include "CCurl.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__APPLE__)
static const char library_name[] = "libcurl.4.dylib";
#else
static const char library_name[] = "libcurl.so.4";
#endif

/// libcurl's functions, looked up once by `load`.
static struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *handle);
    CURLcode (*easy_perform)(CURL *handle);
    const char *(*easy_strerror)(CURLcode code);
    CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
} curl;

static pthread_once_t loaded = PTHREAD_ONCE_INIT;
/// NULL once `load` has succeeded; else why it failed (written once, by `load`).
static const char *failure = "not loaded";
static char failure_text[512];

static void fail(const char *reason) {
    snprintf(failure_text, sizeof failure_text, "%s", reason ? reason : "unknown error");
    failure = failure_text;
}

static void load(void) {
    void *library = dlopen(library_name, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        fail(dlerror());
        return;
    }
    struct { void **slot; const char *name; } symbols[] = {
        {(void **)&curl.global_init, "curl_global_init"},
        {(void **)&curl.easy_init, "curl_easy_init"},
        {(void **)&curl.easy_cleanup, "curl_easy_cleanup"},
        {(void **)&curl.easy_perform, "curl_easy_perform"},
        {(void **)&curl.easy_strerror, "curl_easy_strerror"},
        {(void **)&curl.easy_setopt, "curl_easy_setopt"},
        {(void **)&curl.easy_getinfo, "curl_easy_getinfo"},
        {(void **)&curl.slist_append, "curl_slist_append"},
        {(void **)&curl.slist_free_all, "curl_slist_free_all"},
    };
    for (size_t index = 0; index < sizeof symbols / sizeof symbols[0]; index++) {
        *symbols[index].slot = dlsym(library, symbols[index].name);
        if (!*symbols[index].slot) {
            char reason[256];
            snprintf(reason, sizeof reason, "%s has no %s", library_name, symbols[index].name);
            fail(reason);
            return;
        }
    }
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fail("curl_global_init failed");
        return;
    }
    failure = NULL;
}

const char *matte_curl_load(void) {
    pthread_once(&loaded, load);
    return failure;
}

CURL *matte_curl_easy_init(void) { return curl.easy_init(); }
void matte_curl_easy_cleanup(CURL *handle) { curl.easy_cleanup(handle); }
CURLcode matte_curl_easy_perform(CURL *handle) { return curl.easy_perform(handle); }
const char *matte_curl_easy_strerror(CURLcode code) { return curl.easy_strerror(code); }
struct curl_slist *matte_curl_slist_append(struct curl_slist *list, const char *text) { return curl.slist_append(list, text); }
void matte_curl_slist_free_all(struct curl_slist *list) { curl.slist_free_all(list); }

CURLcode matte_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl.easy_setopt(handle, option, value);
}

CURLcode matte_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl.easy_setopt(handle, option, value);
}

CURLcode matte_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl.easy_setopt(handle, option, value);
}

CURLcode matte_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl.easy_setopt(handle, option, value);
}

CURLcode matte_curl_set_write_function(CURL *handle, matte_curl_write_callback callback) {
    return curl.easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

CURLcode matte_curl_set_open_socket_function(CURL *handle, matte_curl_open_socket_callback callback) {
    return curl.easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, callback);
}

CURLcode matte_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return curl.easy_getinfo(handle, info, value);
}

CURLcode matte_curl_get_string(CURL *handle, CURLINFO info, char **value) {
    return curl.easy_getinfo(handle, info, value);
}

int matte_curl_address(const struct curl_sockaddr *address, unsigned char bytes[16]) {
    if (address->family == AF_INET && address->addrlen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *ipv4 = (const struct sockaddr_in *)&address->addr;
        memcpy(bytes, &ipv4->sin_addr, 4);
        return AF_INET;
    }
    if (address->family == AF_INET6 && address->addrlen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *ipv6 = (const struct sockaddr_in6 *)&address->addr;
        memcpy(bytes, &ipv6->sin6_addr, 16);
        return AF_INET6;
    }
    return 0;
}
