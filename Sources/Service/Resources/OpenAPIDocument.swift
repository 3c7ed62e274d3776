/// The API description served at `GET /openapi.yaml` (OpenAPI 3.1). Kept here, compiled into the binary;
/// a test checks that its paths and methods are exactly the router's routes.
enum OpenAPIDocument {
    static let yaml = #"""
openapi: 3.1.0
info:
  title: matte
  version: 1.0.0
  summary: Cut people out of photos.
  description: |
    Portrait matting over HTTP. POST a photo to /v1/matte and get back the cut-out (RGBA),
    the alpha matte (grey), or a composite over a new background.

    Limits: request bodies over --max-body-bytes and images over --max-pixels are refused with 413;
    a request not answered within --request-timeout gets 408 (body still arriving) or 503; when every
    inference slot and queue place is taken the answer is 503 with Retry-After. Every error is JSON:
    {"error": {"status": 400, "code": "unknown_option", "message": "..."}}.
paths:
  /:
    get:
      summary: The web page (drop a photo, see the cut-out, download it).
      responses:
        "200":
          description: HTML page.
          content:
            text/html: {}
  /openapi.yaml:
    get:
      summary: This document.
      responses:
        "200":
          description: OpenAPI document.
          content:
            application/yaml: {}
  /healthz:
    get:
      summary: Liveness; 200 while the process is up.
      responses:
        "200":
          description: Alive.
          content:
            application/json:
              example: {"status": "alive"}
  /readyz:
    get:
      summary: Readiness; 200 once the models are loaded.
      responses:
        "200":
          description: Ready.
          content:
            application/json:
              example: {"status": "ready"}
        "503":
          $ref: "#/components/responses/Error"
  /metrics:
    get:
      summary: Prometheus metrics (requests by route and status, latency histogram, in-flight, queue depth, rejected; the process's memory, CPU time and file descriptors).
      responses:
        "200":
          description: Prometheus text exposition format 0.0.4.
          content:
            text/plain: {}
  /v1/matte:
    post:
      summary: Matte one photo.
      description: |
        Send the photo as the raw body (Content-Type image/jpeg, image/png or image/webp), as the file
        field `image` of multipart/form-data (with an optional `background` image file), or, when the
        server runs with --allow-url-fetch, as a `url` option. Options come from the query string and/or
        form fields; each at most once; unknown options are refused with 400.

        The answer is the requested image, or JSON when the request says `Accept: application/json`.
        Image answers carry a Server-Timing header with the time of each stage.
      parameters:
        - {name: output, in: query, schema: {type: string, enum: [cutout, alpha, composite], default: cutout},
           description: "cutout: RGBA, the photo's colours with straight alpha; alpha: 8-bit grey matte; composite: RGB, the person over `background`."}
        - {name: format, in: query, schema: {type: string, enum: [png, webp, jpeg], default: png},
           description: "webp is lossless; jpeg only with output=composite (JPEG has no alpha)."}
        - {name: background, in: query, schema: {type: string, default: "#ffffff"},
           description: "For output=composite: #rrggbb (or rrggbb), a colour name (white, black, grey, red, ...), blur or blur:<radius> in pixels (the photo's own background, blurred), or image (the multipart `background` file, scaled to cover and centred)."}
        - {name: mode, in: query, schema: {type: string, enum: [fast, best], default: best},
           description: "best: both networks fused and refined at full resolution; fast: one network and an edge-aware upsampling."}
        - {name: subject, in: query, schema: {type: string, enum: [person, any], default: person},
           description: "person: keep the person, drop other objects; any: keep the most salient subject (products, pets, objects)."}
        - {name: url, in: query, schema: {type: string, format: uri},
           description: "http(s) URL of the photo; only with --allow-url-fetch. Loopback, private, link-local, multicast and unspecified addresses are refused, after DNS resolution and on every redirect."}
      requestBody:
        required: false
        content:
          image/jpeg:
            schema: {type: string, format: binary}
          image/png:
            schema: {type: string, format: binary}
          image/webp:
            schema: {type: string, format: binary}
          application/octet-stream:
            schema: {type: string, format: binary, description: "A JPEG, PNG or WebP file, recognised by its signature."}
          multipart/form-data:
            schema:
              type: object
              properties:
                image: {type: string, format: binary}
                background: {type: string, description: "An image file, or a text value as for the query option."}
                output: {type: string}
                format: {type: string}
                mode: {type: string}
                subject: {type: string}
                url: {type: string}
          application/x-www-form-urlencoded:
            schema:
              type: object
              properties:
                url: {type: string}
                output: {type: string}
                format: {type: string}
                background: {type: string}
                mode: {type: string}
                subject: {type: string}
      responses:
        "200":
          description: The result.
          headers:
            Server-Timing: {description: "decode, preprocess, inference, postprocess, composite, encode, wait and total, in ms.", schema: {type: string}}
          content:
            image/png: {}
            image/webp: {}
            image/jpeg: {}
            application/json:
              schema:
                type: object
                required: [width, height, alpha, cutout, timings]
                properties:
                  width: {type: integer}
                  height: {type: integer}
                  alpha: {type: string, contentEncoding: base64, description: "Grey PNG matte."}
                  cutout: {type: string, contentEncoding: base64, description: "RGBA PNG cut-out."}
                  composite: {type: string, contentEncoding: base64, description: "For output=composite, in `format`."}
                  compositeFormat: {type: string}
                  timings: {type: object, additionalProperties: {type: number}, description: "Milliseconds per stage."}
        "400": {$ref: "#/components/responses/Error"}
        "403": {$ref: "#/components/responses/Error"}
        "408": {$ref: "#/components/responses/Error"}
        "413": {$ref: "#/components/responses/Error"}
        "415": {$ref: "#/components/responses/Error"}
        "422": {$ref: "#/components/responses/Error"}
        "502": {$ref: "#/components/responses/Error"}
        "503": {$ref: "#/components/responses/Error"}
components:
  responses:
    Error:
      description: An error, with a stable code and a message naming the reason.
      content:
        application/json:
          schema:
            type: object
            properties:
              error:
                type: object
                properties:
                  status: {type: integer}
                  code: {type: string}
                  message: {type: string}
"""#
}
