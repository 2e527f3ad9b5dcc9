"""Drives Debian's headless chromium through the DevTools protocol over a pipe
(--remote-debugging-pipe: commands on the browser's fd 3, replies and events on its fd 4, each
message JSON followed by a NUL byte), so no websocket library and no network port are needed.

    with Browser() as browser:
        page = browser.open("file:///tmp/report.html", width=1200, height=900)
        page.evaluate("document.querySelectorAll('span.t').length")
        page.screenshot("report.png")
        page.console_errors, page.requests

Used by the report's browser test (tests/cli/test_report_browser_cli.py) and by
scripts/screenshot_report.py. Raises BrowserUnavailable when chromium is missing or does not
start, so a caller can say so and skip.
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


class BrowserUnavailable(Exception):
    """chromium is not installed or did not answer."""


class BrowserError(Exception):
    """The browser answered a command with an error, or a wait timed out."""


class Browser:
    def __init__(self, timeout_seconds=60.0):
        self.timeout = timeout_seconds
        executable = next((shutil.which(c) for c in CANDIDATES if shutil.which(c)), None)
        if executable is None:
            raise BrowserUnavailable(f"none of {', '.join(CANDIDATES)} is on PATH")
        self.profile = tempfile.mkdtemp(prefix="codelength-chromium-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # The child's ends move above 9 (close-on-exec) so that wiring them to 3 and 4 cannot
        # overwrite one with the other.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser_read, from_browser_write)]
        os.close(to_browser_read)
        os.close(from_browser_write)
        to_browser_read, from_browser_write = high

        def wire_pipes():  # in the child: the protocol's descriptors 3 and 4 (dup2: inheritable)
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
        command = [executable, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                   "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                   "--disable-background-networking", "--disable-sync", "--hide-scrollbars",
                   f"--user-data-dir={self.profile}", "about:blank"]
        # stderr to a file, not a pipe: chromium logs plenty, and a full pipe would block it.
        self._stderr = open(os.path.join(self.profile, "stderr.log"), "w+b")
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=self._stderr, preexec_fn=wire_pipes, close_fds=False)
        except OSError as e:
            raise BrowserUnavailable(f"{executable} did not start: {e}") from e
        finally:
            os.close(to_browser_read)
            os.close(from_browser_write)
        self.executable = executable
        self._buffer = b""
        self._next_id = 0
        self._events = []
        try:
            self.version = self.command("Browser.getVersion")["product"]
        except (BrowserError, OSError) as e:
            stderr = self._stderr_tail()
            self.close()
            raise BrowserUnavailable(f"{executable} did not answer: {e}; stderr: {stderr}") from e

    def _stderr_tail(self):
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-2000:]

    def _send(self, message):
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._to_browser, data):]

    def _receive(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("timed out waiting for the browser")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise BrowserError("the browser closed its pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def command(self, method, session=None, **params):
        """Sends one command and returns its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._send(message)
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_event(self, method, session, deadline):
        """The first event named method for session (kept events first)."""
        while True:
            for i, event in enumerate(self._events):
                if event["method"] == method and event.get("sessionId") == session:
                    return self._events.pop(i)
            self._events.append(self._receive(deadline))

    def open(self, url, width=1200, height=900):
        """A new tab showing url once its load event fired; see Page."""
        target = self.command("Target.createTarget", url="about:blank")["targetId"]
        session = self.command("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.command(f"{domain}.enable", session)
        self.command("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                     deviceScaleFactor=1, mobile=False)
        started = time.monotonic()
        self.command("Page.navigate", session, url=url)
        self.wait_event("Page.loadEventFired", session, started + self.timeout)
        return Page(self, session, url, time.monotonic() - started)

    def close(self):
        if self.process.poll() is None:
            try:
                self._send({"id": 0, "method": "Browser.close", "params": {}})
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        self._stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Page:
    """A loaded tab: load_seconds (navigation to the load event, as the client saw it)."""

    def __init__(self, browser, session, url, load_seconds):
        self.browser, self.session, self.url, self.load_seconds = browser, session, url, load_seconds

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (DevTools runs it even in a page
        without scripts of its own)."""
        result = self.browser.command("Runtime.evaluate", self.session, expression=expression,
                                      returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def _drain(self):
        self.evaluate("0")  # a round trip: events sent before its reply are kept

    @property
    def console_errors(self):
        """Console errors and warnings, uncaught exceptions and browser log errors so far."""
        self._drain()
        found = []
        for e in self.browser._events:
            if e.get("sessionId") != self.session:
                continue
            p = e["params"]
            if e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif e["method"] == "Runtime.exceptionThrown":
                found.append(p["exceptionDetails"].get("text", "exception"))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                found.append(p["entry"]["text"])
        return found

    @property
    def requests(self):
        """URLs of every request the page made (the document itself first)."""
        self._drain()
        return [e["params"]["request"]["url"] for e in self.browser._events
                if e.get("sessionId") == self.session and e["method"] == "Network.requestWillBeSent"]

    def screenshot(self, path, full_page=False, clip=None):
        """Writes a PNG of the viewport, of the whole page, or of clip = (x, y, width, height)
        in page pixels, to path."""
        params = {"format": "png"}
        if clip:
            x, y, width, height = clip
            params.update(captureBeyondViewport=True,
                          clip={"x": x, "y": y, "width": width, "height": height, "scale": 1})
        elif full_page:
            size = self.browser.command("Page.getLayoutMetrics", self.session)["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        data = self.browser.command("Page.captureScreenshot", self.session, **params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
