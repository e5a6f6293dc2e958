"""HTML to PDF with one long-lived headless Chromium per process (DevTools protocol over a pipe).

Why Chromium and not WeasyPrint: a 10-13 page school report took WeasyPrint about 2.5 s of CPU; Chromium
lays the same page out in about 0.4 s once the browser is running (docs/performance.md). Starting a
browser costs about 0.3 s wall, so each process starts one lazily and reuses it for every report.

The protocol runs over --remote-debugging-pipe (file descriptors 3 and 4, messages separated by NUL
bytes): no TCP port, nothing to collide between parallel workers.

Determinism: Chromium stamps the print time into /CreationDate and /ModDate. We overwrite both dates with
SOURCE_DATE_EPOCH (default 0) in place, byte for byte the same length, so the cross-reference table stays valid.

Bookmarks: Chromium writes them only into a tagged PDF, whose structure tree made the district report's
print 3x slower and 4x larger (docs/performance.md). We print untagged and add the outline ourselves
(add_outline): every heading links to itself (nbconvert's anchor), so the PDF already holds a named
destination, with its page, for each heading's id; the outline points at those, in an incremental update.

Offline: the page is loaded from its file; http(s), ws(s) and ftp requests are blocked in the browser
and host names resolve to nothing.
"""

from __future__ import annotations

import atexit
import base64
import fcntl
import html as html_lib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

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
    "generateTaggedPDF": False,  # bookmarks come from add_outline, at a third of the cost
    "transferMode": "ReturnAsBase64",
}
LOAD_TIMEOUT = 120.0
PRINT_TIMEOUT = 600.0  # a 400-page district report prints in about 15 s; stuck is stuck
_HEADING = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_ANCHOR = re.compile(r'<a class="anchor-link".*?</a>', re.S)
_TAG = re.compile(r"<[^>]+>")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_DEST = re.compile(rb"/(\S+) (\[\d+ 0 R /XYZ [^\]]*\])")
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


def heading_text(fragment: str) -> str:
    """A heading's plain text, without nbconvert's anchor link (also the contents list's entry)."""
    return html_lib.unescape(_TAG.sub("", _ANCHOR.sub("", fragment))).strip()


def headings(page: str) -> list[tuple[int, str, str]]:
    """(level, id, text) of the page's h2 and h3 headings, in document order."""
    return [(int(level), hid, heading_text(text)) for level, hid, text in _HEADING.findall(page)]


def _name(raw: bytes) -> str:
    """A PDF name as text: #xx escapes undone, then the URL escapes Chromium writes for a fragment."""
    return unquote(re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1"))


def _object(pdf: bytes, number: int) -> bytes:
    """Object ``number``'s body, found through the cross-reference table (Chromium writes one section, 0..Size-1)."""
    table = int(_STARTXREF.search(pdf).group(1))
    head = re.match(rb"xref\s+0 (\d+)\s*?\n", pdf[table : table + 64])
    if head is None or number >= int(head.group(1)):
        raise PdfError(f"PDF 的交叉引用表无法读取（对象 {number}），无法加书签")
    entry = table + head.end() + 20 * number
    start = int(pdf[entry : entry + 10])
    m = re.compile(rb"%d 0 obj\s*(.*?)\s*endobj" % number, re.S).match(pdf, start)
    if m is None:
        raise PdfError(f"PDF 中找不到对象 {number}，无法加书签")
    return m.group(1)


def _text_string(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def add_outline(pdf: bytes, marks: list[tuple[int, str, str]]) -> bytes:
    """``pdf`` with bookmarks for ``marks`` ((level 2 or 3, id, title), as ``headings`` gives them): h3 entries
    nest under the h2 before them. Only ids the PDF has a named destination for get an entry (a heading in
    the other edition's cells is not on the page). Appended as an incremental update (new catalog, outline
    objects, a cross-reference section pointing back to the old one), so the printed bytes stay as they are."""
    trailer = pdf[pdf.rindex(b"trailer") :]
    if not marks or b"/Prev" in trailer:  # nothing to mark, or updated already (Chromium writes one section)
        return pdf
    root = int(re.search(rb"/Root (\d+) 0 R", trailer).group(1))
    size = int(re.search(rb"/Size (\d+)", trailer).group(1))
    catalog = _object(pdf, root)
    dests_ref = re.search(rb"/Dests (\d+) 0 R", catalog)
    if dests_ref is None or b"/Outlines" in catalog:
        return pdf
    dests = {_name(name): dest for name, dest in _DEST.findall(_object(pdf, int(dests_ref.group(1))))}
    items: list[dict] = []  # in document order; "kids" for h2 entries
    for level, hid, title in marks:
        dest = dests.get(unquote(html_lib.unescape(hid)))
        if dest is None or not title:
            continue
        item = {"title": title, "dest": dest, "kids": []}
        if level == 3 and items:
            items[-1]["kids"].append(item)
        else:
            items.append(item)
    if not items:
        return pdf
    outline = size
    number = outline + 1
    for item in items:  # number every entry: h2, then its h3s
        for entry in (item, *item["kids"]):
            entry["n"] = number
            number += 1

    def chain(entries: list[dict], parent: int) -> list[tuple[int, bytes]]:
        out = []
        for i, e in enumerate(entries):
            d = b"<</Title %s\n/Parent %d 0 R\n/Dest %s" % (_text_string(e["title"]), parent, e["dest"])
            if i:
                d += b"\n/Prev %d 0 R" % entries[i - 1]["n"]
            if i + 1 < len(entries):
                d += b"\n/Next %d 0 R" % entries[i + 1]["n"]
            if e["kids"]:
                d += b"\n/First %d 0 R\n/Last %d 0 R\n/Count %d" % (
                    e["kids"][0]["n"],
                    e["kids"][-1]["n"],
                    len(e["kids"]),
                )
            out.append((e["n"], d + b">>"))
            out += chain(e["kids"], e["n"])
        return out

    total = len(items) + sum(len(i["kids"]) for i in items)
    objects = [
        (root, catalog.rstrip()[:-2] + b"\n/Outlines %d 0 R\n/PageMode /UseOutlines>>" % outline),
        (
            outline,
            b"<</Type /Outlines\n/First %d 0 R\n/Last %d 0 R\n/Count %d>>" % (items[0]["n"], items[-1]["n"], total),
        ),
        *sorted(chain(items, outline)),
    ]
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets = {}
    for n, body in objects:
        offsets[n] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n%d 1\n%010d 00000 n \n%d %d\n" % (root, offsets[root], outline, number - outline)
    out += b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(outline, number))
    info = re.search(rb"/Info \d+ 0 R", trailer)
    prev = int(_STARTXREF.search(pdf).group(1))
    out += b"trailer\n<</Size %d\n/Root %d 0 R%s\n/Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (
        number, root, b"\n" + info.group(0) if info else b"", prev, xref)  # fmt: skip
    return bytes(out)


class Browser:
    """One headless Chromium driven over --remote-debugging-pipe, with a single page for printing."""

    def __init__(self, executable: str | None = None):
        self.executable = executable or find_browser()
        self.profile = tempfile.mkdtemp(prefix="tqa-chromium-")
        self._next_id = 0
        self._blocked_id = 0
        self._buffer = bytearray()
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
            # Begin-frame control: the page draws no screen frames of its own, so a report is laid out and
            # painted once, for print, not also for an 800 px screen nobody sees (about 15 % of the browser's
            # CPU per school report, the same PDF bytes; docs/performance.md).
            target = self.call(
                "Target.createTarget", {"url": "about:blank", "enableBeginFrameControl": True}, timeout=LOAD_TIMEOUT
            )["targetId"]
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
        # A printed report arrives as one message of several MB in pipe-sized chunks: append in place and look for
        # the terminator only in the new chunk (not a new bytes object and a rescan of everything at every chunk).
        end = self._buffer.find(0)
        while end < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from_browser], [], [], remaining)[0]:
                raise PdfError(f"Chromium 超时未响应（{what}）")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise PdfError(f"Chromium 意外退出（{what}）")
            start = len(self._buffer)
            self._buffer += chunk
            end = self._buffer.find(0, start)
        message = json.loads(self._buffer[:end])
        del self._buffer[: end + 1]
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
        """Load a local HTML file and print it (A4 from its CSS); returns the PDF bytes, dates fixed and
        bookmarks added from its headings."""
        url = Path(html_path).resolve().as_uri()
        with self._lock:
            nav = self.call("Page.navigate", {"url": url}, session=True)
            if nav.get("errorText"):
                raise PdfError(f"Chromium 无法打开 {html_path}：{nav['errorText']}")
            self.wait_for("Page.loadEventFired", LOAD_TIMEOUT)
            result = self.call("Page.printToPDF", PRINT_OPTIONS, session=True, timeout=PRINT_TIMEOUT)
        printed = fix_dates(base64.b64decode(result["data"]))
        try:
            return add_outline(printed, headings(Path(html_path).read_text(encoding="utf-8")))
        except (PdfError, AttributeError, ValueError) as exc:  # a layout this code does not know: no bookmarks
            print(f"警告：{html_path} 的 PDF 未能加书签（{exc}），报告照常生成", file=sys.stderr)
            return printed

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
