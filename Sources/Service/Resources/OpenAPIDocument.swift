/// The API description served at `GET /openapi.yaml` (OpenAPI 3.1), kept in `openapi.yaml`, a resource
/// of this target; a test checks that its paths and methods are exactly the router's routes.
enum OpenAPIDocument {
    static let yaml = PackageResource.text("openapi.yaml")
}
