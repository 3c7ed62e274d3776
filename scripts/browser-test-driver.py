#!/usr/bin/env python3
"""Drives headless Chromium through the Chrome DevTools Protocol (CDP) to test matte's web page.

Used by scripts/browser-test, which starts `matte serve` and Chromium. Python standard library only: a
minimal WebSocket client (RFC 6455: client handshake, masked text frames out, unmasked frames in) is
enough to speak CDP's JSON messages.

Steps: open the page, give the photo to the file input (DOM.setFileInputFiles, which fires `change`),
wait until the page says it is done (document.body.dataset.state), check that a result is drawn and no
error is shown, switch to the alpha view, ask for the blurred background (a screenshot of it is saved
beside the main one), switch back to the cut-out, and save the screenshot.

Usage: browser-test-driver.py --debug-port N --page-url URL --photo PATH --screenshot PATH [--timeout S]
Exit status: 0 on success, 1 on a failed check (the reason on stderr).
"""

import argparse
import base64
import io
import zipfile
import json
import os
import socket
import struct
import sys
import time
import urllib.request


class WebSocket:
    def __init__(self, url, timeout=30):
        assert url.startswith("ws://"), url
        rest = url[len("ws://"):]
        hostport, _, path = rest.partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port or 80)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("WebSocket handshake: connection closed")
            head += chunk
        head, _, self.buffer = head.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError("WebSocket handshake refused: " + head.split(b"\r\n")[0].decode(errors="replace"))

    def send_text(self, text):
        payload = text.encode()
        header = bytes([0x81])  # FIN + text
        length = len(payload)
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", length)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("WebSocket closed by Chromium")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def receive_text(self):
        message = b""
        while True:
            first, second = self._read(2)
            opcode = first & 0x0F
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else None
            payload = self._read(length)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise RuntimeError("WebSocket closed by Chromium")
            if opcode == 0x9:  # ping: answer with pong is optional for CDP; ignore
                continue
            message += payload
            if first & 0x80:
                return message.decode()


class DevTools:
    def __init__(self, websocket_url):
        self.socket = WebSocket(websocket_url)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        call_id = self.next_id
        self.socket.send_text(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.receive_text())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")


def fail(message):
    print(f"browser-test: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def wait_for_state(tools, wanted, timeout):
    deadline = time.time() + timeout
    state = None
    while time.time() < deadline:
        state = tools.evaluate("document.body.dataset.state")
        if state in wanted:
            return state
        time.sleep(0.1)
    fail(f"the page stayed in state '{state}' for {timeout} s")


def save_screenshot(tools, path):
    shot = tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
    with open(path, "wb") as file:
        file.write(base64.b64decode(shot["data"]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--debug-port", type=int, required=True)
    parser.add_argument("--page-url", required=True)
    parser.add_argument("--photo", required=True)
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--jobs", nargs="+", metavar="PHOTO",
                        help="the server has a database: upload these photos at once as jobs instead")
    arguments = parser.parse_args()

    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{arguments.debug_port}/json/list", timeout=10))
    pages = [target for target in targets if target.get("type") == "page"]
    if not pages:
        fail("Chromium has no page target")
    tools = DevTools(pages[0]["webSocketDebuggerUrl"])
    tools.call("Page.enable")
    tools.call("Emulation.setDeviceMetricsOverride", width=1100, height=1000, deviceScaleFactor=1, mobile=False)
    tools.call("Page.navigate", url=arguments.page_url)
    deadline = time.time() + 30
    while tools.evaluate("document.readyState") != "complete" or tools.evaluate("!!document.getElementById('file')") is not True:
        if time.time() > deadline:
            fail("the page did not load")
        time.sleep(0.1)
    if tools.evaluate("document.body.dataset.state") != "empty":
        fail("the page did not start empty")

    document = tools.call("DOM.getDocument")
    node = tools.call("DOM.querySelector", nodeId=document["root"]["nodeId"], selector="#file")
    if not node.get("nodeId"):
        fail("no file input on the page")
    if arguments.jobs:
        return check_jobs(tools, node, arguments)
    started = time.time()
    tools.call("DOM.setFileInputFiles", files=[os.path.abspath(arguments.photo)], nodeId=node["nodeId"])
    state = wait_for_state(tools, {"done", "error"}, arguments.timeout)
    elapsed = time.time() - started
    if state == "error":
        fail("the page shows an error: " + str(tools.evaluate("document.getElementById('error').textContent")))

    shown = tools.evaluate("""(() => {
        const canvas = document.getElementById('result');
        return { hidden: canvas.hidden, width: canvas.width, height: canvas.height,
                 status: document.getElementById('status').textContent,
                 error: document.getElementById('error').textContent,
                 pressed: document.querySelector('#views [aria-pressed=true]').dataset.view };
    })()""")
    if shown["hidden"] or shown["width"] <= 0 or shown["height"] <= 0:
        fail(f"no result drawn: {shown}")
    if shown["error"]:
        fail(f"an error is shown: {shown['error']}")
    if shown["pressed"] != "cutout":
        fail(f"the view is '{shown['pressed']}', not the cut-out")
    # The cut-out must have both transparent and opaque pixels: a person was cut out, not nothing or everything.
    coverage = tools.evaluate("""(() => {
        const canvas = document.getElementById('result');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let opaque = 0, clear = 0;
        for (let i = 3; i < data.length; i += 4) { if (data[i] > 200) opaque++; else if (data[i] < 50) clear++; }
        return { opaque: opaque / (data.length / 4), clear: clear / (data.length / 4) };
    })()""")
    if coverage["opaque"] < 0.02 or coverage["clear"] < 0.02:
        fail(f"the cut-out looks wrong (opaque {coverage['opaque']:.2f}, transparent {coverage['clear']:.2f})")

    tools.evaluate("document.querySelector('#views [data-view=alpha]').click()")
    if tools.evaluate("document.querySelector('#views [aria-pressed=true]').dataset.view") != "alpha":
        fail("the alpha view did not switch on")

    # The blurred-background composite comes from the server (background=blur).
    tools.evaluate("document.getElementById('blur').click()")
    time.sleep(0.1)
    if wait_for_state(tools, {"done", "error"}, arguments.timeout) == "error":
        fail("blur: the page shows an error: " + str(tools.evaluate("document.getElementById('error').textContent")))
    if tools.evaluate("document.querySelector('#views [aria-pressed=true]').dataset.view") != "composite":
        fail("the blurred-background view did not switch on")
    blur_shot = os.path.splitext(arguments.screenshot)[0] + "-blur.png"
    save_screenshot(tools, blur_shot)

    tools.evaluate("document.querySelector('#views [data-view=cutout]').click()")
    save_screenshot(tools, arguments.screenshot)
    print(f"browser-test: page showed a {shown['width']}x{shown['height']} cut-out after {elapsed:.1f} s "
          f"({shown['status']}); opaque {coverage['opaque']:.0%}, transparent {coverage['clear']:.0%}")
    print(f"browser-test: screenshot {arguments.screenshot} (blurred background: {blur_shot})")


def check_jobs(tools, node, arguments):
    """Several photos at once become jobs: each row's state moves to succeeded, the first result is shown,
    and the zip of all results holds every output."""
    deadline = time.time() + 10
    while tools.evaluate("document.body.dataset.jobs") != "on":
        if time.time() > deadline:
            fail("the page did not switch to jobs, though the server has a database")
        time.sleep(0.1)
    if tools.evaluate("document.getElementById('file').multiple") is not True:
        fail("the file input does not take several photos")
    started = time.time()
    tools.call("DOM.setFileInputFiles", files=[os.path.abspath(photo) for photo in arguments.jobs], nodeId=node["nodeId"])
    seen = set()
    states = []
    while time.time() < started + arguments.timeout:
        states = tools.evaluate("[...document.querySelectorAll('#jobList .state')].map((badge) => badge.dataset.state)")
        seen.update(states)
        if len(states) == len(arguments.jobs) and all(state in ("succeeded", "failed", "cancelled") for state in states):
            break
        time.sleep(0.05)
    if states != ["succeeded"] * len(arguments.jobs):
        fail(f"the jobs ended {states}: " + str(tools.evaluate("document.getElementById('jobList').textContent")))
    if not ({"queued", "running"} & seen):
        fail(f"no job was seen queued or running on its way (states seen: {sorted(seen)})")
    if wait_for_state(tools, {"done", "error"}, 10) != "done":
        fail("the finished job is not shown: " + str(tools.evaluate("document.getElementById('error').textContent")))
    shown = tools.evaluate("(() => { const c = document.getElementById('result'); return { hidden: c.hidden, width: c.width }; })()")
    if shown["hidden"] or shown["width"] <= 0:
        fail(f"no result drawn: {shown}")
    if tools.evaluate("document.getElementById('zip').disabled") is not False:
        fail("the zip button is not enabled")
    # The archive the zip button makes, read back by Python's zipfile.
    archive = tools.evaluate("""(async () => {
        const files = [];
        for (const item of jobs.items) {
            for (const [output, url] of Object.entries(item.outputs)) {
                files.push({ name: `${item.name}_${output}.png`, bytes: new Uint8Array(await (await fetch(url)).arrayBuffer()) });
            }
        }
        const bytes = new Uint8Array(await zipArchive(files).arrayBuffer());
        let text = "";
        for (const byte of bytes) text += String.fromCharCode(byte);
        return btoa(text);
    })()""")
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(archive))) as bundle:
        if bundle.testzip() is not None:
            fail("the zip archive is corrupt")
        names = bundle.namelist()
    if len(names) != 2 * len(arguments.jobs):
        fail(f"the zip holds {names}, not an alpha and a cut-out per photo")
    save_screenshot(tools, arguments.screenshot)
    print(f"browser-test: {len(arguments.jobs)} photos as jobs, all succeeded after {time.time() - started:.1f} s "
          f"(states seen: {', '.join(sorted(seen))}); zip of {len(names)} files")
    print(f"browser-test: screenshot {arguments.screenshot}")


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, OSError) as error:
        fail(str(error))
