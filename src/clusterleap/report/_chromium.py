"""A minimal headless-Chromium driver over the DevTools protocol on a pipe (``--remote-debugging-pipe``).

Chromium reads protocol commands from file descriptor 3 and writes replies and events to descriptor 4, each message a
JSON object followed by a NUL byte (Chrome DevTools Protocol, https://chromedevtools.github.io/devtools-protocol/). The
standard library is enough: no websocket client and no browser download. The driver is used to print reports to PDF
(``Page.printToPDF``) and by the tests to open a report with the network off and collect console messages,
exceptions, dialogs and requests.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ReportError

__all__ = ["BROWSER_NAMES", "Browser", "BrowserError", "Page", "find_chromium", "sandbox_flags", "scratch_dir",
           "sweep_scratch"]

#: Executables tried in order (after the ``CLUSTERLEAP_CHROMIUM`` environment variable).
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

#: Flags for a quiet, offline, throw-away browser: no first-run, sync, component updates or background requests
#: (which a closed network refuses) and no host name resolves. ``--no-sandbox`` is added only where Chromium
#: cannot sandbox itself: when running as root, or when ``CLUSTERLEAP_CHROMIUM_NO_SANDBOX=1`` says so (containers
#: without user namespaces); see :func:`sandbox_flags`.
FLAGS = (
    "--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--disable-default-apps", "--disable-dev-shm-usage", "--mute-audio", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--remote-debugging-pipe",
)


def sandbox_flags() -> tuple[str, ...]:
    """``("--no-sandbox",)`` as root (Chromium refuses to run sandboxed as root) or when
    ``CLUSTERLEAP_CHROMIUM_NO_SANDBOX=1``; else nothing, so that the browser keeps its sandbox."""
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    return ("--no-sandbox",) if root or os.environ.get("CLUSTERLEAP_CHROMIUM_NO_SANDBOX") == "1" else ()


def scratch_dir(prefix: str) -> str:
    """A fresh private folder in the system temp folder named ``<prefix><pid>-<random>``, after removing the
    folders of that prefix that runs no longer alive left behind (a run killed midway cannot clean up itself)."""
    sweep_scratch(prefix)
    return tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-")


def sweep_scratch(prefix: str) -> None:
    """Remove ``<prefix><pid>-*`` folders of the temp folder that this user owns and whose process is gone."""
    root = Path(tempfile.gettempdir())
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        pid_text = entry.name[len(prefix):].split("-", 1)[0]
        try:
            pid = int(pid_text)
            if entry.stat(follow_symlinks=False).st_uid != os.getuid() or not entry.is_dir(follow_symlinks=False):
                continue
        except (ValueError, OSError):
            continue
        if pid == os.getpid() or _alive(pid):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class BrowserError(ReportError):
    """Chromium is missing, failed to start, or a page failed to load or render."""


def find_chromium() -> str:
    """The Chromium executable: ``$CLUSTERLEAP_CHROMIUM`` or the first of :data:`BROWSER_NAMES` on the PATH."""
    env = os.environ.get("CLUSTERLEAP_CHROMIUM")
    if env:
        if shutil.which(env) is None:
            raise BrowserError(f"CLUSTERLEAP_CHROMIUM={env!r} is not an executable")
        return env
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise BrowserError("PDF output needs Chromium, which is not installed: install it (Debian/Ubuntu: "
                       "apt-get install chromium fonts-noto-cjk) or set CLUSTERLEAP_CHROMIUM to a Chrome executable")


def _high_fd(fd: int) -> int:
    """A close-on-exec duplicate of ``fd`` numbered 10 or more (so that placing pipes on 3 and 4 in the child
    cannot clobber one with the other), closing the original."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


@dataclass
class Page:
    """One tab, attached in flat mode. ``events`` collects what a test wants to see: console messages
    (``Runtime.consoleAPICalled``), uncaught exceptions, log entries, JavaScript dialogs (answered at once so the
    page never blocks) and network requests."""

    browser: Browser
    session: str
    events: list[dict[str, Any]] = field(default_factory=list)

    def send(self, method: str, params: Mapping[str, Any] | None = None, timeout: float | None = None) -> Any:
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def goto(self, url: str, timeout: float | None = None) -> None:
        """Navigate and wait for the load event."""
        self.browser.loaded.discard(self.session)
        reply = self.send("Page.navigate", {"url": url}, timeout=timeout)
        if reply.get("errorText"):
            raise BrowserError(f"{url}: {reply['errorText']}")
        self.browser.wait(lambda: self.session in self.browser.loaded, timeout, f"loading {url}")

    def evaluate(self, expression: str, timeout: float | None = None) -> Any:
        """The value of a JavaScript expression (awaiting a promise)."""
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                               "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in reply:
            raise BrowserError(f"JavaScript error: {_exception_text(reply['exceptionDetails'])}")
        return reply.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 60.0, what: str = "") -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out after {timeout:g} s waiting for {what or expression}")
            time.sleep(0.05)

    def print_pdf(self, timeout: float | None = None, **options: Any) -> bytes:
        """``Page.printToPDF`` with the page's own CSS page size and margins and backgrounds, untagged (a tagged
        PDF of a long report is about 2.5 times larger and slower to print) unless ``options`` say otherwise."""
        params = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False,
                  "generateTaggedPDF": False, **options}
        reply = self.send("Page.printToPDF", params, timeout=timeout)
        return base64.b64decode(reply["data"])

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries, as text."""
        out = []
        for e in self.events:
            kind, p = e["method"], e["params"]
            if kind == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif kind == "Runtime.exceptionThrown":
                out.append("exception: " + _exception_text(p["exceptionDetails"]))
            elif kind == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(f"log: {p['entry'].get('text', '')} {p['entry'].get('url', '')}".strip())
        return out

    def dialogs(self) -> list[str]:
        return [e["params"].get("message", "") for e in self.events if e["method"] == "Page.javascriptDialogOpening"]

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]


def _exception_text(details: Mapping[str, Any]) -> str:
    exc = details.get("exception") or {}
    return str(exc.get("description") or details.get("text") or details)


class Browser:
    """A headless Chromium process driven over a pipe. Use as a context manager; every wait has a timeout."""

    def __init__(self, executable: str | None = None, *, timeout: float = 120.0,
                 extra_flags: Sequence[str] = ()) -> None:
        self.executable = executable or find_chromium()
        self.timeout = timeout
        self.loaded: set[str] = set()
        self._next = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._ignored: set[int] = set()  # commands whose replies nobody waits for
        self._pages: dict[str, Page] = {}
        self._inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._profile = scratch_dir("clusterleap-chromium-")
        cmd_r, self._cmd_w = (_high_fd(fd) for fd in os.pipe())
        self._resp_r, resp_w = (_high_fd(fd) for fd in os.pipe())
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        devnull = os.open(os.devnull, os.O_RDONLY)
        argv = [self.executable, *FLAGS, *sandbox_flags(), *extra_flags, f"--user-data-dir={self._profile}",
                "about:blank"]
        try:
            self.pid = os.posix_spawn(self.executable, argv, dict(os.environ), file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, self._log.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, self._log.fileno(), 2), (os.POSIX_SPAWN_DUP2, cmd_r, 3),
                (os.POSIX_SPAWN_DUP2, resp_w, 4)], setsid=True)
        except OSError as exc:
            for fd in (self._cmd_w, self._resp_r):
                os.close(fd)
            self._cleanup_files()
            raise BrowserError(f"cannot start {self.executable}: {exc.strerror}") from None
        finally:
            os.close(devnull)
            os.close(cmd_r)
            os.close(resp_w)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self.send("Target.setDiscoverTargets", {"discover": False})
        except BrowserError:
            self.close()
            raise

    # -- plumbing -----------------------------------------------------------------------------------------------
    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._resp_r, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._inbox.put(None)
                return
            buf += chunk
            *messages, buf = buf.split(b"\0")
            for m in messages:
                if m:
                    self._inbox.put(json.loads(m))

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if "id" in msg:
            if int(msg["id"]) not in self._ignored:
                self._replies[int(msg["id"])] = msg
            return
        page = self._pages.get(msg.get("sessionId", ""))
        if page is None:
            return
        method = msg.get("method", "")
        if method == "Page.loadEventFired":
            self.loaded.add(page.session)
        elif method == "Page.javascriptDialogOpening":
            page.events.append(msg)
            self._ignored.add(self._post("Page.handleJavaScriptDialog", {"accept": False}, page.session))
        elif method in ("Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded",
                        "Network.requestWillBeSent"):
            page.events.append(msg)

    def _post(self, method: str, params: Mapping[str, Any] | None, session: str | None) -> int:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": dict(params or {})}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._cmd_w, data):]
        except OSError as exc:
            raise BrowserError(f"Chromium closed its pipe ({exc.strerror}){self._log_tail()}") from None
        return self._next

    def wait(self, done: Any, timeout: float | None, what: str) -> None:
        """Process incoming messages until ``done()`` is true."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"Chromium timed out after {timeout or self.timeout:g} s {what}")
            try:
                msg = self._inbox.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if msg is None:
                raise BrowserError(f"Chromium exited while {what}{self._log_tail()}")
            self._dispatch(msg)

    def send(self, method: str, params: Mapping[str, Any] | None = None, *, session: str | None = None,
             timeout: float | None = None) -> Any:
        """Send a command and return its result (raising on a protocol error)."""
        ident = self._post(method, params, session)
        self.wait(lambda: ident in self._replies, timeout, f"waiting for {method}")
        reply = self._replies.pop(ident)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message', reply['error'])}")
        return reply.get("result", {})

    def _log_tail(self) -> str:
        try:
            self._log.seek(0)
            text = self._log.read().decode(errors="replace").strip().splitlines()
        except (OSError, ValueError):
            return ""
        return (": " + " | ".join(text[-3:])) if text else ""

    # -- pages --------------------------------------------------------------------------------------------------
    def new_page(self, *, offline: bool = True, width: int = 1280, height: int = 900) -> Page:
        """A new tab with runtime, page, log and network events on; ``offline`` emulates a cut network."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        self._pages[session] = page
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        if offline:
            page.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                           "uploadThroughput": -1})
        page.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": False})
        return page

    # -- lifetime -----------------------------------------------------------------------------------------------
    def close(self) -> None:
        """Ask Chromium to quit, then make sure it did, and remove its profile folder."""
        with contextlib.suppress(BrowserError):
            self._post("Browser.close", None, None)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        for fd in (self._cmd_w, self._resp_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._cleanup_files()

    def _cleanup_files(self) -> None:
        self._log.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def file_url(path: str | Path) -> str:
    return Path(path).resolve().as_uri()
