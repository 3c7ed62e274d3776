// libcurl for Swift, opened with dlopen on first use rather than linked: a process that never fetches a
// URL does not load it and the thirty-odd libraries it brings (TLS, Kerberos, LDAP, ...), which took
// ~5 ms of CPU at every start of `matte`. <curl/curl.h> gives the types and constants; the functions
// here call libcurl through the pointers `matte_curl_load` looks up (libcurl's own functions are not
// linked: calling one from Swift fails at link time). Typed wrappers stand in for the variadic calls,
// which Swift cannot import.
#include <curl/curl.h>
#include <sys/socket.h>
#include <netinet/in.h>

/// Opens libcurl and runs `curl_global_init(CURL_GLOBAL_DEFAULT)`, once for the process (later calls
/// return the first outcome). NULL when libcurl is ready, else why it is not (a static string).
/// Every other function here needs it to have returned NULL.
const char *matte_curl_load(void);

CURL *matte_curl_easy_init(void);
void matte_curl_easy_cleanup(CURL *handle);
CURLcode matte_curl_easy_perform(CURL *handle);
const char *matte_curl_easy_strerror(CURLcode code);
struct curl_slist *matte_curl_slist_append(struct curl_slist *list, const char *text);
void matte_curl_slist_free_all(struct curl_slist *list);

CURLcode matte_curl_set_long(CURL *handle, CURLoption option, long value);
CURLcode matte_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode matte_curl_set_string(CURL *handle, CURLoption option, const char *value);
CURLcode matte_curl_set_pointer(CURL *handle, CURLoption option, void *value);

typedef size_t (*matte_curl_write_callback)(char *data, size_t size, size_t count, void *context);
CURLcode matte_curl_set_write_function(CURL *handle, matte_curl_write_callback callback);

typedef curl_socket_t (*matte_curl_open_socket_callback)(void *context, curlsocktype purpose, struct curl_sockaddr *address);
CURLcode matte_curl_set_open_socket_function(CURL *handle, matte_curl_open_socket_callback callback);

CURLcode matte_curl_get_long(CURL *handle, CURLINFO info, long *value);
CURLcode matte_curl_get_string(CURL *handle, CURLINFO info, char **value);

/// Copies the IP address curl is about to connect to into `bytes` (4 bytes for IPv4, 16 for IPv6) and
/// returns its family (AF_INET or AF_INET6), or 0 for any other family.
int matte_curl_address(const struct curl_sockaddr *address, unsigned char bytes[16]);
