"""HTML to PDF with one long-lived headless Chromium per process (DevTools protocol over a pipe).

Why Chromium and not WeasyPrint: a 10-13 page school report took WeasyPrint about 2.5 s of CPU; Chromium
lays the same page out in about 0.4 s once the browser is running (docs/performance.md). Starting a
browser costs about 0.3 s wall, so each process starts one lazily and reuses it for every report.

The protocol runs over --remote-debugging-pipe (file descriptors 3 and 4, messages separated by NUL
bytes): no TCP port, nothing to collide between parallel workers.

Determinism: Chromium stamps the print time into /CreationDate and /ModDate and, in tagged PDFs, DOM node
ids into the structure tree. We print untagged and overwrite both dates with SOURCE_DATE_EPOCH (default
0) in place, byte for byte the same length, so the cross-reference table stays valid.

Offline: the page is loaded from its file; http(s), ws(s) and ftp requests are blocked in the browser
and host names resolve to nothing.
"""

from __future__ import annotations

import atexit
import base64
import fcntl
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from tqa.io.catalog import write_atomic

# The headless shell (Debian: chromium-headless-shell) prints the same pages as the full browser with half
# the CPU (0.32 s against 0.65 s per school report, docs/performance.md); the full browser also works.
BROWSER_CANDIDATES = (
    "chromium-headless-shell",
    "chrome-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
BLOCKED_URLS = ["http://*", "https://*", "ws://*", "wss://*", "ftp://*"]
PRINT_OPTIONS = {
    "printBackground": True,
    "preferCSSPageSize": True,  # A4 and margins come from the report's @page rule
    "displayHeaderFooter": False,  # page numbers come from the CSS @page margin boxes
    # Bookmarks from the headings need a tagged PDF; its per-run DOM node ids are renumbered (fix_node_ids).
    "generateTaggedPDF": True,
    "generateDocumentOutline": True,
    "transferMode": "ReturnAsBase64",
}
LOAD_TIMEOUT = 120.0
PRINT_TIMEOUT = 600.0  # a 400-page district report prints in about 15 s; stuck is stuck
_NODE_ID = re.compile(rb"\(node(\d{8})\)")
_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})([^)]*)\)")


class PdfError(RuntimeError):
    """The browser could not be started or could not print; str(e) is a readable Chinese message."""


def find_browser() -> str:
    """Path of the Chromium executable (TQA_CHROMIUM overrides); PdfError if there is none."""
    override = os.environ.get("TQA_CHROMIUM")
    if override:
        return shutil.which(override) or override
    for name in BROWSER_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise PdfError(
        "找不到 Chromium 浏览器（生成 PDF 需要）：请运行 make install，或 apt-get install chromium-headless-shell"
    )


def browser_version() -> str:
    """The PDF engine's version, e.g. "Chromium 156.0.8078.79" (it decides the PDFs' bytes, so the manifest
    records it); "未安装" when there is none."""
    try:
        out = subprocess.run([find_browser(), "--version"], capture_output=True, text=True, timeout=30)
    except (PdfError, OSError, subprocess.TimeoutExpired):
        return "未安装"
    lines = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return re.sub(r"\s+built on .*$", "", lines[-1]) if lines else "未知"


def pdf_date(epoch: int | None = None) -> bytes:
    """The PDF date string for SOURCE_DATE_EPOCH, in Chromium's own format (UTC)."""
    if epoch is None:
        epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0)
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y%m%d%H%M%S").encode()


def fix_dates(pdf: bytes, epoch: int | None = None) -> bytes:
    """Replace the print time in /CreationDate and /ModDate by SOURCE_DATE_EPOCH, keeping every byte
    offset (the new stamp has the same length), so two prints of the same page are identical."""
    stamp = pdf_date(epoch)

    def same_length(m: re.Match) -> bytes:
        zone = m.group(3)
        zone = b"+00'00'" if len(zone) == 7 else zone  # +hh'mm' -> UTC; 'Z' or '' stay as they are
        return b"/" + m.group(1) + b" (D:" + stamp + zone + b")"

    return _DATE.sub(same_length, pdf)


def fix_node_ids(pdf: bytes) -> bytes:
    """Renumber the structure tree's element ids (``(node12345678)``: the browser's DOM node ids, which change from
    print to print, both where an element is named, ``/ID``, and where a table cell names its headers,
    ``/Headers``) in order of first appearance, keeping their width and so every byte offset."""
    seen: dict[bytes, bytes] = {}

    def renumber(m: re.Match) -> bytes:
        new = seen.setdefault(m.group(1), b"%08d" % (len(seen) + 1))
        return b"(node" + new + b")"

    return _NODE_ID.sub(renumber, pdf)


class Browser:
    """One headless Chromium driven over --remote-debugging-pipe, with a single page for printing."""

    def __init__(self, executable: str | None = None):
        self.executable = executable or find_browser()
        self.profile = tempfile.mkdtemp(prefix="tqa-chromium-")
        self._next_id = 0
        self._blocked_id = 0
        self._buffer = b""
        self._lock = threading.Lock()
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        args = [
            self.executable,
            "--headless",
            "--remote-debugging-pipe",
            f"--user-data-dir={self.profile}",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--mute-audio",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "about:blank",
        ]
        env = {**os.environ, "TZ": "UTC"}
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        try:
            self.pid = _spawn(self.executable, args, env, {3: to_browser_r, 4: from_browser_w})
        except OSError as exc:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise PdfError(f"无法启动 Chromium（{self.executable}）：{exc}") from exc
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)
        self._status: int | None = None
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"}, timeout=LOAD_TIMEOUT)["targetId"]
            self.session = self.call(
                "Target.attachToTarget", {"targetId": target, "flatten": True}, timeout=LOAD_TIMEOUT
            )["sessionId"]
            self.call("Page.enable", session=True)
            # Requests to the network are paused and failed (see _read). Not Network.setBlockedURLs: that
            # needs the Network domain, whose events repeat every data: URL, i.e. every embedded chart
            # (1.4 MB of events per school report, about 0.06 CPU-s between the browser and us).
            self.call("Fetch.enable", {"patterns": [{"urlPattern": p} for p in BLOCKED_URLS]}, session=True)
        except Exception:
            self.close()
            raise

    # -- protocol ------------------------------------------------------------------------------------
    def call(
        self, method: str, params: dict | None = None, session: bool = False, timeout: float = LOAD_TIMEOUT
    ) -> dict:
        """Send one command and wait for its reply (events that arrive meanwhile are dropped)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline, method)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise PdfError(f"Chromium 执行 {method} 失败：{reply['error'].get('message')}")
                return reply.get("result", {})

    def wait_for(self, event: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = self._read(deadline, event)
            if message.get("method") == event:
                return message

    def _read(self, deadline: float, what: str) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from_browser], [], [], remaining)[0]:
                raise PdfError(f"Chromium 超时未响应（{what}）")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise PdfError(f"Chromium 意外退出（{what}）")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(message)
        if message.get("method") == "Fetch.requestPaused":
            self._fail_request(message)
        return message

    def _fail_request(self, paused: dict) -> None:
        """Refuse a paused network request; the reply (negative id) is dropped like any unmatched one."""
        self._blocked_id -= 1
        command = {
            "id": self._blocked_id,
            "method": "Fetch.failRequest",
            "sessionId": paused.get("sessionId"),
            "params": {"requestId": paused["params"]["requestId"], "errorReason": "BlockedByClient"},
        }
        os.write(self._to_browser, json.dumps(command).encode() + b"\0")

    # -- printing ------------------------------------------------------------------------------------
    def print_pdf(self, html_path: str | Path) -> bytes:
        """Load a local HTML file and print it (A4 from its CSS); returns the PDF bytes, dates fixed."""
        url = Path(html_path).resolve().as_uri()
        with self._lock:
            nav = self.call("Page.navigate", {"url": url}, session=True)
            if nav.get("errorText"):
                raise PdfError(f"Chromium 无法打开 {html_path}：{nav['errorText']}")
            self.wait_for("Page.loadEventFired", LOAD_TIMEOUT)
            result = self.call("Page.printToPDF", PRINT_OPTIONS, session=True, timeout=PRINT_TIMEOUT)
        return fix_node_ids(fix_dates(base64.b64decode(result["data"])))

    def _reap(self, block: bool) -> bool:
        """Collect the browser's exit status; True once it has exited."""
        if self._status is None:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            if pid:
                self._status = status
        return self._status is not None

    def alive(self) -> bool:
        return not self._reap(block=False)

    def close(self) -> None:
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        deadline = time.monotonic() + 5  # closing the pipe makes Chromium exit
        while not self._reap(block=False) and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self._reap(block=False):
            os.kill(self.pid, signal.SIGKILL)
            self._reap(block=True)
        shutil.rmtree(self.profile, ignore_errors=True)


def _spawn(executable: str, args: list[str], env: dict, fds: dict[int, int]) -> int:
    """Start a process with ``fds`` (child fd -> our fd) and stdin/out/err on /dev/null; returns its pid.

    posix_spawn, not subprocess's preexec_fn: the school-report workers run threads (zmq, tornado), and
    Python code between fork and exec can deadlock there. Our fds are first moved above 9 so that placing
    them on 3 and 4 can never overwrite one another.
    """
    devnull = os.open(os.devnull, os.O_RDWR)
    high = {child: fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for child, fd in fds.items()}
    high_null = fcntl.fcntl(devnull, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(devnull)
    try:
        actions = [(os.POSIX_SPAWN_DUP2, high_null, n) for n in (0, 1, 2)]
        actions += [(os.POSIX_SPAWN_DUP2, fd, child) for child, fd in sorted(high.items())]
        return os.posix_spawn(executable, args, env, file_actions=actions)
    finally:
        for fd in (*high.values(), high_null):
            os.close(fd)


_BROWSER: Browser | None = None


def browser() -> Browser:
    """This process's browser, started on first use and restarted if it died."""
    global _BROWSER
    if _BROWSER is None or not _BROWSER.alive():
        if _BROWSER is not None:
            _BROWSER.close()
        _BROWSER = Browser()
    return _BROWSER


def shutdown() -> None:
    """Stop this process's browser (worker processes call this on exit)."""
    global _BROWSER
    if _BROWSER is not None:
        _BROWSER.close()
        _BROWSER = None


atexit.register(shutdown)


def html_file_to_pdf(html_path: str | Path, pdf_path: str | Path) -> Path:
    """Print a local HTML file to an A4 PDF (atomic write: a half-written PDF never looks finished)."""
    try:
        data = browser().print_pdf(html_path)
    except PdfError:
        shutdown()  # the browser's state is unknown: the next report starts a fresh one
        raise
    return write_atomic(pdf_path, data)
