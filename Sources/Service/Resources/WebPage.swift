/// The page served at `GET /`: plain HTML, CSS and JavaScript, no build step, compiled into the binary.
///
/// Drop or pick a photo; the page posts it to `/v1/matte` (asking for JSON, so one request brings both
/// the cut-out and the matte) and shows the cut-out over a checkerboard. Views: cut-out, alpha, or a
/// composite over a colour or an uploaded image (drawn in the page from the cut-out), or over the
/// photo's own background blurred (asked of the server with `background=blur`). Download saves what is
/// shown, as PNG. `document.body.dataset.state` is `empty`, `working`, `done` or `error`, for tests.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>matte: cut people out of photos</title>
<style>
  :root { --ink: #1d2430; --muted: #5f6b7a; --line: #d6dbe3; --accent: #2563eb; --bad: #b42318; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f7f9; }
  main { max-width: 980px; margin: 0 auto; padding: 24px 16px 48px; }
  h1 { margin: 0 0 4px; font-size: 24px; }
  p.lead { margin: 0 0 20px; color: var(--muted); }
  #drop { display: block; border: 2px dashed var(--line); border-radius: 12px; background: #fff; padding: 28px; text-align: center;
          cursor: pointer; transition: border-color .15s, background .15s; }
  #drop.over { border-color: var(--accent); background: #eef4ff; }
  #drop strong { color: var(--accent); }
  #drop input { display: none; }
  .toolbar { display: flex; flex-wrap: wrap; gap: 10px 18px; align-items: center; margin: 18px 0 12px; }
  .toolbar fieldset { border: 0; padding: 0; margin: 0; display: flex; gap: 6px; align-items: center; }
  .toolbar legend { float: left; margin-right: 6px; color: var(--muted); }
  button, .button { font: inherit; border: 1px solid var(--line); background: #fff; color: var(--ink); border-radius: 8px;
                    padding: 6px 12px; cursor: pointer; }
  button[aria-pressed="true"] { background: var(--accent); border-color: var(--accent); color: #fff; }
  button:disabled { opacity: .5; cursor: default; }
  input[type=color] { width: 38px; height: 32px; padding: 0; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
  #stage { position: relative; min-height: 240px; border-radius: 12px; overflow: hidden; border: 1px solid var(--line);
           display: flex; align-items: center; justify-content: center; background-color: #fff;
           background-image: linear-gradient(45deg, #d9dde3 25%, transparent 25%), linear-gradient(-45deg, #d9dde3 25%, transparent 25%),
             linear-gradient(45deg, transparent 75%, #d9dde3 75%), linear-gradient(-45deg, transparent 75%, #d9dde3 75%);
           background-size: 24px 24px; background-position: 0 0, 0 12px, 12px -12px, -12px 0; }
  #stage canvas { max-width: 100%; max-height: 70vh; display: block; }
  #placeholder { color: var(--muted); padding: 40px; background: rgba(255,255,255,.85); border-radius: 8px; }
  #spinner { position: absolute; inset: 0; display: none; align-items: center; justify-content: center; background: rgba(255,255,255,.55); }
  body[data-state=working] #spinner { display: flex; }
  #spinner div { width: 36px; height: 36px; border: 4px solid #c7d2fe; border-top-color: var(--accent); border-radius: 50%; animation: spin 0.8s linear infinite; }
  @keyframes spin { to { transform: rotate(360deg); } }
  #status { margin-top: 10px; color: var(--muted); min-height: 1.4em; }
  #error { display: none; margin-top: 10px; padding: 10px 12px; border-radius: 8px; background: #fef3f2; color: var(--bad); border: 1px solid #fecdca; }
  body[data-state=error] #error { display: block; }
  footer { margin-top: 28px; color: var(--muted); font-size: 13px; }
  footer a { color: var(--muted); }
</style>
</head>
<body data-state="empty">
<main>
  <h1>matte</h1>
  <p class="lead">Cut people out of photos. Nothing is kept on the server.</p>

  <label id="drop" for="file">
    <input id="file" type="file" accept="image/jpeg,image/png,image/webp">
    <div><strong>Choose a photo</strong> or drop it here (JPEG, PNG or WebP).</div>
  </label>

  <div class="toolbar">
    <fieldset id="views">
      <legend>Show</legend>
      <button type="button" data-view="cutout" aria-pressed="true">Cut-out</button>
      <button type="button" data-view="alpha" aria-pressed="false">Alpha</button>
      <button type="button" data-view="composite" aria-pressed="false">Background</button>
    </fieldset>
    <fieldset id="backgrounds">
      <legend>Background</legend>
      <input id="colour" type="color" value="#3b82f6" title="Background colour">
      <button type="button" id="blur" aria-pressed="false">Blur</button>
      <label class="button" for="backgroundFile">Image…</label>
      <input id="backgroundFile" type="file" accept="image/jpeg,image/png,image/webp" hidden>
    </fieldset>
    <button type="button" id="download" disabled>Download PNG</button>
  </div>

  <div id="stage">
    <div id="placeholder">Your cut-out appears here.</div>
    <canvas id="result" hidden></canvas>
    <div id="spinner"><div></div></div>
  </div>
  <div id="status" role="status"></div>
  <div id="error" role="alert"></div>

  <footer>API: <a href="/openapi.yaml">openapi.yaml</a> · <a href="/metrics">metrics</a></footer>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const canvas = $("result");
const state = { photoFile: null, name: "photo", cutout: null, alpha: null, blurred: null, backdrop: null,
                view: "cutout", background: { kind: "colour", colour: "#3b82f6" }, generation: 0 };

function setState(name) { document.body.dataset.state = name; }
function showError(message) {
  $("error").textContent = message;
  setState("error");
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error("the browser could not show the result"));
    image.src = src;
  });
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) return body.error.message;
  } catch (_) {}
  return `the server answered ${response.status} ${response.statusText}`;
}

async function matte(extraFields) {
  const form = new FormData();
  form.append("image", state.photoFile, state.photoFile.name || "photo");
  for (const [name, value] of Object.entries(extraFields || {})) form.append(name, value);
  const response = await fetch("/v1/matte", { method: "POST", body: form, headers: { "Accept": "application/json" } });
  if (!response.ok) throw new Error(await errorMessage(response));
  return response.json();
}

function describe(result) {
  const t = result.timings || {};
  const parts = ["inference", "postprocess", "total"].filter((k) => k in t).map((k) => `${k} ${Math.round(t[k])} ms`);
  return `${result.width}×${result.height} · ${parts.join(" · ")}`;
}

async function choosePhoto(file) {
  if (!file) return;
  const generation = ++state.generation;
  state.photoFile = file;
  state.name = (file.name || "photo").replace(/\.[^.]*$/, "") || "photo";
  state.cutout = state.alpha = state.blurred = null;
  $("error").textContent = "";
  $("status").textContent = `Cutting out ${file.name || "the photo"}…`;
  setState("working");
  try {
    const result = await matte({});
    const [cutout, alpha] = await Promise.all([loadImage("data:image/png;base64," + result.cutout),
                                               loadImage("data:image/png;base64," + result.alpha)]);
    if (generation !== state.generation) return;
    state.cutout = cutout;
    state.alpha = alpha;
    $("status").textContent = describe(result);
    setView("cutout");
    setState("done");
  } catch (error) {
    if (generation !== state.generation) return;
    $("status").textContent = "";
    showError(error.message);
  }
}

function draw() {
  if (!state.cutout) return;
  const { width, height } = state.cutout;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, width, height);
  if (state.view === "alpha") {
    context.drawImage(state.alpha, 0, 0);
  } else if (state.view === "composite") {
    const background = state.background;
    if (background.kind === "blur" && state.blurred) {
      context.drawImage(state.blurred, 0, 0);
    } else {
      if (background.kind === "image" && state.backdrop) {
        const image = state.backdrop;
        const scale = Math.max(width / image.width, height / image.height);
        const w = image.width * scale, h = image.height * scale;
        context.drawImage(image, (width - w) / 2, (height - h) / 2, w, h);
      } else {
        context.fillStyle = background.colour || "#ffffff";
        context.fillRect(0, 0, width, height);
      }
      context.drawImage(state.cutout, 0, 0);
    }
  } else {
    context.drawImage(state.cutout, 0, 0);
  }
  canvas.hidden = false;
  $("placeholder").hidden = true;
  $("download").disabled = false;
}

function setView(view) {
  state.view = view;
  for (const button of document.querySelectorAll("#views button")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === view));
  }
  $("blur").setAttribute("aria-pressed", String(view === "composite" && state.background.kind === "blur"));
  draw();
}

async function chooseBlur() {
  if (!state.photoFile || !state.cutout) return;
  state.background = { kind: "blur" };
  if (!state.blurred) {
    const generation = state.generation;
    setState("working");
    try {
      const result = await matte({ output: "composite", background: "blur" });
      const image = await loadImage(`data:image/${result.compositeFormat};base64,` + result.composite);
      if (generation !== state.generation) return;
      state.blurred = image;
      setState("done");
    } catch (error) {
      showError(error.message);
      return;
    }
  }
  setView("composite");
}

$("file").addEventListener("change", (event) => choosePhoto(event.target.files[0]));
const drop = $("drop");
for (const name of ["dragenter", "dragover"]) {
  drop.addEventListener(name, (event) => { event.preventDefault(); drop.classList.add("over"); });
}
for (const name of ["dragleave", "drop"]) {
  drop.addEventListener(name, (event) => { event.preventDefault(); drop.classList.remove("over"); });
}
drop.addEventListener("drop", (event) => choosePhoto(event.dataTransfer.files[0]));
for (const button of document.querySelectorAll("#views button")) {
  button.addEventListener("click", () => button.dataset.view === "composite" && state.background.kind === "blur"
    ? chooseBlur() : setView(button.dataset.view));
}
$("colour").addEventListener("input", (event) => {
  state.background = { kind: "colour", colour: event.target.value };
  setView("composite");
});
$("blur").addEventListener("click", chooseBlur);
$("backgroundFile").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  try {
    const url = URL.createObjectURL(file);
    state.backdrop = await loadImage(url);
    state.background = { kind: "image" };
    setView("composite");
  } catch (error) {
    showError("that background image could not be read");
  }
});
$("download").addEventListener("click", () => {
  canvas.toBlob((blob) => {
    if (!blob) return;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${state.name}_${state.view}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }, "image/png");
});
</script>
</body>
</html>
"""#
}
