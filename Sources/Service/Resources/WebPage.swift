/// The page served at `GET /`: plain HTML, CSS and JavaScript, no build step, kept in `index.html`, a
/// resource of this target.
///
/// Drop or pick a photo; the page posts it to `/v1/matte` (asking for JSON, so one request brings both
/// the cut-out and the matte) and shows the cut-out over a checkerboard. Views: cut-out, alpha, or a
/// composite over a colour or an uploaded image (drawn in the page from the cut-out), or over the
/// photo's own background blurred (asked of the server with `background=blur`). Download saves what is
/// shown, as PNG. `document.body.dataset.state` is `empty`, `working`, `done` or `error`, for tests.
enum WebPage {
    static let html = PackageResource.text("index.html")
}
