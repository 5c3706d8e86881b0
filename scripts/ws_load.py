"""Load client that speaks Streamlit's own websocket protocol (``make bench``).

A browser is too heavy to open 50 times on a 2-core machine, and plain HTTP load never runs a
page: in Streamlit every page run is a ``rerun_script`` BackMsg on the ``/_stcore/stream``
websocket, answered by a stream of ForwardMsgs that ends with ``script_finished``. This module
logs in once through ``/auth/login`` (the HttpOnly session cookie the app reads through
``st.context.cookies``), opens N websocket sessions with that cookie, and has each one run a page
K times in a row, exactly as the frontend asks for it, timing each run from the request to
``script_finished``.

Handshake (derived from ``streamlit/web/server/starlette/starlette_websocket.py`` and
``runtime/app_session.py``, since the frontend is not installed):

* connect to ``ws://host/_stcore/stream`` with subprotocol ``streamlit``, the session cookie and a
  same-origin ``Origin`` (the server refuses a foreign origin with close code 1008);
* the server sends nothing until the client sends ``BackMsg.rerun_script`` (a ``ClientState``):
  the first one names the page by its URL path (``page_name="giam-sat"``) with the query string
  and empty widget states, like a browser opening ``/giam-sat?...``; later runs name it by the
  ``page_script_hash`` the server reported in its ``navigation`` message, as the frontend does;
* the answer is ``new_session``, ``session_status_changed``, ``navigation``, ``page_info_changed``
  (the page wrote the period into the URL: the next run sends that query string, like a browser
  whose address bar changed), the deltas, and ``script_finished``.

Streamlit only sends ``ref_hash`` references for messages the client says it has cached
(``ClientState.cached_message_hashes``). By default this client keeps a cache like the browser's
(messages marked ``metadata.cacheable``) and declares it, so the bytes per page run are what a
browser that reruns a page receives; ``browser_cache=False`` (``--no-cache``) declares nothing and
every run receives everything. Bytes are websocket payload bytes (Streamlit leaves websocket
compression off unless ``server.enableWebsocketCompression`` is set, so they are also about
what crosses the network).

Counted as errors, once per kind and page run: a ``script_finished`` that is not
FINISHED_SUCCESSFULLY (FINISHED_EARLY_FOR_RERUN is not an end: ``st.switch_page`` goes on), an
exception element, a compile error, a page other than the one asked for, a reference to a
message never received, a run slower than ``run_timeout``, a closed websocket or a failed
connect. The ``page_not_found`` that the first run of a fresh server answers before showing the
page is a warning (see ``_Session._check_page``).

CLI: ``python scripts/ws_load.py --url http://127.0.0.1:8501 --user vp.theodoi --password … \
--page giam-sat --sessions 1,5,20 --runs 10 [--server-pid PID] [--query "from=…&to=…"]``.
Library: ``load(url, user=…, password=…, page=…, sessions=…, runs=…, query=…) -> LoadResult``
(``import ws_load`` from a script in ``scripts/``, whose directory is first on ``sys.path``).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

# No types-protobuf in the venv (Streamlit's generated stubs say Any for protobuf's own classes).
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Origin, Subprotocol

LOGIN_PATH = "/auth/login"
STREAM_PATH = "/_stcore/stream"
DEFAULT_PAGE = "giam-sat"
DEFAULT_USER = "vp.theodoi"  # the VP UBND tracker of the demo data: sees every unit and every list
RUN_TIMEOUT_S = 120.0  # one page run; a run slower than this is counted as an error, not waited for
CONNECT_TIMEOUT_S = 30.0
FIRST_ERRORS_KEPT = 5
# What a Vietnamese office browser reports (st.context.timezone / locale); the app does not read
# them today, but the server stores them per session as it does for a real visitor.
TIMEZONE = "Asia/Ho_Chi_Minh"
TIMEZONE_OFFSET_MIN = -420  # JavaScript's getTimezoneOffset() for UTC+7
LOCALE = "vi-VN"


class LoadError(Exception):
    """The load cannot start (server unreachable, login refused): a message for a person."""


# --- results --------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: with 10 runs, p95 is the slowest one, never an interpolation."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class LevelResult:
    """One concurrency level: ``sessions`` websockets, each running the page ``runs`` times."""

    sessions: int
    runs: int
    completed: int  # page runs that ended with FINISHED_SUCCESSFULLY and no exception element
    errors: int
    error_kinds: dict[str, int]
    first_errors: tuple[str, ...]
    wall_s: float  # from the first rerun_script sent to the last answer (connects excluded)
    connect_s: float  # opening all websockets concurrently
    latencies_s: tuple[float, ...]  # successful page runs only
    bytes_received: int  # websocket payload bytes over all runs (including failed ones)
    page_runs_attempted: int  # rerun_script sent (the per-run means divide by this)
    server_rss_bytes: int | None
    texts: tuple[str, ...]  # strings of the deltas of session 0's last page run (proof it ran)
    warnings: int = 0  # page runs that showed the page but with something odd on the way
    server_cpu_s: float | None = None  # CPU seconds the server used during the level (connects included)
    page_runs_skipped: int = 0  # never sent: the session's connect failed or its websocket had closed
    first_warnings: tuple[str, ...] = ()

    @property
    def runs_per_s(self) -> float:
        return self.completed / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def p50_s(self) -> float:
        return percentile(self.latencies_s, 0.50)

    @property
    def p95_s(self) -> float:
        return percentile(self.latencies_s, 0.95)

    @property
    def bytes_per_run(self) -> float:
        return self.bytes_received / self.page_runs_attempted if self.page_runs_attempted else 0.0

    @property
    def server_cpu_ms_per_run(self) -> float | None:
        if self.server_cpu_s is None or not self.page_runs_attempted:
            return None
        return self.server_cpu_s * 1000 / self.page_runs_attempted

    @property
    def first_error(self) -> str | None:
        return self.first_errors[0] if self.first_errors else None


@dataclass(frozen=True)
class LoadResult:
    """All levels of one ``load`` call, in the order they ran."""

    url: str
    user: str
    page: str
    query: str
    browser_cache: bool
    levels: tuple[LevelResult, ...]

    @property
    def errors(self) -> int:
        return sum(level.errors for level in self.levels)

    def table(self) -> str:
        """The CLI's report: one line per concurrency level, then the first error of each level."""
        header = (
            f"{'sessions':>8} {'runs':>5} {'ok':>5} {'runs/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'errors':>6} {'KiB/run':>8} {'RSS MiB':>8} {'CPU ms/run':>10}"
        )
        lines = [header]
        for lv in self.levels:
            rss = f"{lv.server_rss_bytes / 2**20:8.1f}" if lv.server_rss_bytes is not None else f"{'?':>8}"
            cpu_ms = lv.server_cpu_ms_per_run
            cpu = f"{cpu_ms:10.0f}" if cpu_ms is not None else f"{'?':>10}"
            lines.append(
                f"{lv.sessions:>8} {lv.runs:>5} {lv.completed:>5} {lv.runs_per_s:>8.2f} {lv.p50_s * 1000:>8.0f} "
                f"{lv.p95_s * 1000:>8.0f} {lv.errors:>6} {lv.bytes_per_run / 1024:>8.1f} {rss} {cpu}"
            )
        for lv in self.levels:
            if lv.first_error is not None:
                kinds = ", ".join(f"{kind} ×{n}" for kind, n in sorted(lv.error_kinds.items()))
                lines.append(f"{lv.sessions} sessions: {kinds}; first: {lv.first_error}")
            if lv.first_warnings:
                lines.append(f"{lv.sessions} sessions: {lv.warnings} warning(s); first: {lv.first_warnings[0]}")
        return "\n".join(lines)


# --- login ----------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The login answers 303 with the cookie: keep that answer instead of following it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _origin(base_url: str) -> str:
    parts = urllib.parse.urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _set_cookies(user: str, headers: Any) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for raw in headers.get_all("Set-Cookie") or []:
        try:
            jar.load(raw)
        except CookieError as exc:
            raise LoadError(f"login as {user!r}: unreadable Set-Cookie {raw!r}") from exc
    return jar


def login(base_url: str, *, user: str, password: str, timeout: float = 30.0) -> str:
    """GET the login form, POST it back; return the ``Cookie`` header value for the websockets.

    As a browser does: the form's CSRF token is bound to the cookie the form sets, so both go
    back with the POST, with a same-origin ``Origin`` (the route refuses a form without them).
    Success is the 303 redirect that sets the session cookie; the form again with 401 means a
    wrong user name or password, 429 too many recent failures.
    """
    base = base_url.rstrip("/")
    # No proxy: the server under load is local, and an HTTP_PROXY in the environment must not
    # sit between the client and it.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(
            urllib.request.Request(f"{base}{LOGIN_PATH}", headers={"Accept": "text/html"}), timeout=timeout
        ) as response:
            form, form_headers = response.read().decode("utf-8", "replace"), response.headers
    except (urllib.error.URLError, OSError) as exc:
        raise LoadError(f"cannot reach {base}{LOGIN_PATH}: {exc}") from exc
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    if token is None:
        raise LoadError(f"the login form of {base}{LOGIN_PATH} has no CSRF token")
    form_cookie = "; ".join(f"{n}={m.value}" for n, m in _set_cookies(user, form_headers).items() if m.value)
    body = urllib.parse.urlencode(
        {"username": user, "password": password, "next": "/", "csrf": token.group(1)}
    ).encode()
    request = urllib.request.Request(
        f"{base}{LOGIN_PATH}",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": _origin(base),
            "Accept": "text/html",
            "Cookie": form_cookie,
        },
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as exc:  # 303 (no redirect followed) and 401 arrive here
        status, headers = exc.code, exc.headers
        exc.close()
    except (urllib.error.URLError, OSError) as exc:
        raise LoadError(f"cannot reach {base}{LOGIN_PATH}: {exc}") from exc
    if status == 401:
        raise LoadError(f"login as {user!r} refused (HTTP 401): wrong user name or password")
    if status == 429:
        raise LoadError(f"login as {user!r} refused (HTTP 429): too many recent failed logins, try later")
    if status not in (301, 302, 303, 307):
        raise LoadError(f"login as {user!r} failed: HTTP {status} from {base}{LOGIN_PATH} (expected a 303 redirect)")
    jar = _set_cookies(user, headers)
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items() if morsel.value)
    if not cookie:
        raise LoadError(f"login as {user!r} answered HTTP {status} but set no session cookie")
    return cookie


# --- one websocket session ------------------------------------------------------------------


def _texts(message: Any, out: list[str]) -> None:
    """Every string inside an element (heading, markdown, metric label and value, chart spec…)."""
    for descriptor, value in message.ListFields():
        if descriptor.type == descriptor.TYPE_STRING:
            if descriptor.is_repeated:
                out.extend(str(v) for v in value if v)
            elif value:
                out.append(str(value))
        elif descriptor.type == descriptor.TYPE_MESSAGE:
            if descriptor.is_repeated:
                if descriptor.message_type.GetOptions().map_entry:
                    continue
                for item in value:
                    _texts(item, out)
            else:
                _texts(value, out)


@dataclass
class _Tally:
    """Counters shared by the sessions of one level (one event loop: no locks needed)."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)
    bytes_received: int = 0
    attempted: int = 0
    skipped: int = 0  # runs never sent: the session's connect failed or its websocket closed
    texts: list[str] = field(default_factory=list)
    warnings: Counter[str] = field(default_factory=Counter)
    first_warnings: list[str] = field(default_factory=list)

    def error(self, kind: str, text: str) -> None:
        self.errors[kind] += 1
        if len(self.first_errors) < FIRST_ERRORS_KEPT:
            self.first_errors.append(f"{kind}: {text}")

    def warn(self, kind: str, text: str) -> None:
        self.warnings[kind] += 1
        if len(self.first_warnings) < FIRST_ERRORS_KEPT:
            self.first_warnings.append(f"{kind}: {text}")


class _Session:
    """One browser tab: a websocket, its query string, its page hash and its message cache."""

    def __init__(
        self, ws: ClientConnection, *, base_url: str, page: str, query: str, browser_cache: bool, keep_texts: bool
    ) -> None:
        self.ws = ws
        self.base_url = base_url.rstrip("/")
        self.page = page
        self.query = query
        self.page_hash = ""  # learned from the first run's `navigation` message
        self.browser_cache = browser_cache
        self.cache: dict[str, ForwardMsg] = {}
        self.keep_texts = keep_texts
        self.closed = False

    def rerun_request(self) -> bytes:
        """The ``rerun_script`` BackMsg a browser sends to (re)run the page it shows."""
        back = BackMsg()
        state = back.rerun_script
        state.query_string = self.query
        if self.page_hash:
            state.page_script_hash = self.page_hash
        else:
            state.page_name = self.page
        state.widget_states.SetInParent()  # present and empty: no widget was touched
        if self.browser_cache:
            state.cached_message_hashes.extend(self.cache)
        info = state.context_info
        info.timezone = TIMEZONE
        info.timezone_offset = TIMEZONE_OFFSET_MIN
        info.locale = LOCALE
        info.url = f"{self.base_url}/{self.page}" + (f"?{self.query}" if self.query else "")
        info.is_embedded = False
        info.color_scheme = "light"
        return bytes(back.SerializeToString())

    def _check_page(
        self, shown: tuple[str, str, str] | None, not_found: bool, fail: Callable[[str, str], None], tally: _Tally
    ) -> None:
        """Did the run show the page asked for? (An app without st.navigation sends no page: accepted.)

        Streamlit answers ``page_not_found`` whenever it could not resolve the page name at the
        start of a run, and falls back to the main script. On the first run of a fresh server
        process that happens even for a page that exists, if the app has a ``pages/`` folder: the
        runtime starts in the folder-based multipage mode, finds no such file, and only switches
        to ``st.navigation`` when the main script calls it, which then shows the right page. That
        run did show the page: it counts as a warning, not an error.
        """
        if shown is not None and shown[0] != self.page:
            fail(
                "wrong page",
                f"asked for {self.page!r}, the server showed {shown[0]!r} ({shown[1]})"
                + (" after page_not_found" if not_found else "")
                + "; not logged in, no permission, or no such page?",
            )
            return
        if shown is not None:
            self.page_hash = shown[2]
        if not_found:
            tally.warn(
                "page not found",
                f"the server sent page_not_found for {self.page!r}, then showed it "
                "(the first run of a fresh process of an app with a pages/ folder does this)",
            )

    async def run_page(self, tally: _Tally, *, timeout: float) -> None:
        """One page run: send ``rerun_script``, read until ``script_finished``, count what came."""
        tally.attempted += 1
        texts: list[str] = []
        # Each kind of failure counts once per page run (a wrong page shows in several messages);
        # its first text is kept.
        failures: dict[str, str] = {}

        def fail(kind: str, text: str) -> None:
            failures.setdefault(kind, text)

        shown: tuple[str, str, str] | None = None  # url path, title, hash of the page the server ran
        not_found = False
        started = time.perf_counter()
        nbytes = 0
        try:
            async with asyncio.timeout(timeout):
                await self.ws.send(self.rerun_request())
                while True:
                    frame = await self.ws.recv()
                    if isinstance(frame, str):
                        nbytes += len(frame.encode())
                        fail("protocol", f"text frame from the server: {frame[:200]!r}")
                        continue
                    nbytes += len(frame)
                    msg = ForwardMsg()
                    try:
                        msg.ParseFromString(frame)
                    except DecodeError as exc:
                        fail("protocol", f"undecodable ForwardMsg ({len(frame)} bytes): {exc}")
                        continue
                    kind = msg.WhichOneof("type")
                    if kind == "ref_hash":
                        cached = self.cache.get(msg.ref_hash)
                        if cached is None:
                            fail("protocol", f"reference to a message never received: {msg.ref_hash}")
                            continue
                        msg, kind = cached, cached.WhichOneof("type")
                    elif self.browser_cache and msg.metadata.cacheable and msg.hash:
                        self.cache[msg.hash] = msg
                    if kind == "delta":
                        delta = msg.delta
                        if delta.WhichOneof("type") == "new_element":
                            element: Element = delta.new_element
                            if element.WhichOneof("type") == "exception":
                                exc_proto = element.exception
                                fail("exception", f"{exc_proto.type}: {exc_proto.message}".strip(": "))
                            if self.keep_texts:
                                _texts(element, texts)
                    elif kind == "navigation":
                        # A run may send several (see page_not_found below): the last one is the page shown.
                        nav = msg.navigation
                        current = next((p for p in nav.app_pages if p.page_script_hash == nav.page_script_hash), None)
                        shown = (current.url_pathname, current.page_name, nav.page_script_hash) if current else None
                    elif kind == "page_not_found":
                        not_found = True
                    elif kind == "page_info_changed":
                        self.query = msg.page_info_changed.query_string
                    elif kind == "session_event":
                        event = msg.session_event
                        if event.WhichOneof("type") == "script_compilation_exception":
                            exc_proto = event.script_compilation_exception
                            fail("compile error", f"{exc_proto.type}: {exc_proto.message}")
                    elif kind == "script_finished":
                        status = msg.script_finished
                        if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                            self._check_page(shown, not_found, fail, tally)
                            break
                        if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                            fail("script finished", "FINISHED_WITH_COMPILE_ERROR")
                            break
                        # FINISHED_EARLY_FOR_RERUN (st.switch_page, st.rerun) and fragment runs:
                        # the run the browser waits for is still coming.
                    # new_session, session_status_changed, page_config_changed, parent_message,
                    # logo, heartbeat_ack…: nothing to check, only their bytes count.
        except TimeoutError:
            fail("timeout", f"no script_finished within {timeout:.0f} s")
            # The late run's messages would land in the next run's count: this tab is done.
            self.closed = True
        except ConnectionClosed as exc:
            fail("websocket closed", f"code {exc.rcvd.code if exc.rcvd else 'none'}: {exc}")
            self.closed = True
        elapsed = time.perf_counter() - started
        tally.bytes_received += nbytes
        for failure, text in failures.items():
            tally.error(failure, text)
        if not failures:
            tally.latencies.append(elapsed)
        if self.keep_texts:
            tally.texts = texts


async def _open(base_url: str, cookie: str, *, timeout: float) -> ClientConnection:
    parts = urllib.parse.urlsplit(base_url.rstrip("/"))
    scheme = "wss" if parts.scheme == "https" else "ws"
    uri = f"{scheme}://{parts.netloc}{parts.path}{STREAM_PATH}"
    return await connect(
        uri,
        origin=Origin(_origin(base_url)),
        subprotocols=[Subprotocol("streamlit")],
        additional_headers={"Cookie": cookie},
        max_size=None,  # Streamlit allows 200 MB messages (server.maxMessageSize)
        open_timeout=timeout,
        proxy=None,
    )


# --- server memory --------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry.name))
    return found


def _vm_rss(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return 0  # a zombie has no VmRSS line


def _tree(pid: int) -> list[int]:
    found = [pid]
    pending = _children(pid)
    while pending:
        child = pending.pop()
        found.append(child)
        pending.extend(_children(child))
    return found


def server_rss(pid: int) -> int | None:
    """RSS of ``pid`` and all its descendants, in bytes (None if ``pid`` is gone)."""
    if _vm_rss(pid) is None:
        return None
    return sum(_vm_rss(p) or 0 for p in _tree(pid))


def server_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by ``pid`` and its live descendants.

    On a machine shared with other work the wall-clock figures move with the neighbours' load;
    the server's CPU time per page run barely does, so it is the figure to compare between runs.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            if p == pid:
                return None
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
    return total / ticks


def find_server_pid(base_url: str) -> int | None:
    """The local process listening on the URL's port (via /proc/net/tcp socket inodes), if any.

    Only works for a server on this machine that runs as the same user (its fds must be
    readable); otherwise the report shows no RSS rather than a guess.
    """
    parts = urllib.parse.urlsplit(base_url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(cols[9])
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in targets:
                    return int(entry.name)
        except OSError:
            continue
    return None


# --- the load -------------------------------------------------------------------------------


def _parse_levels(sessions: int | Sequence[int] | str) -> tuple[int, ...]:
    if isinstance(sessions, int):
        levels: tuple[int, ...] = (sessions,)
    elif isinstance(sessions, str):
        levels = tuple(int(part) for part in sessions.split(",") if part.strip())
    else:
        levels = tuple(int(n) for n in sessions)
    if not levels or any(n < 1 for n in levels):
        raise ValueError(f"sessions must be positive integers, got {sessions!r}")
    return levels


async def _level(
    base_url: str,
    cookie: str,
    *,
    sessions: int,
    runs: int,
    page: str,
    query: str,
    browser_cache: bool,
    server_pid: int | None,
    run_timeout: float,
) -> LevelResult:
    tally = _Tally()
    cpu_before = server_cpu_s(server_pid) if server_pid is not None else None
    t_connect = time.perf_counter()
    opened = await asyncio.gather(
        *(_open(base_url, cookie, timeout=CONNECT_TIMEOUT_S) for _ in range(sessions)), return_exceptions=True
    )
    connect_s = time.perf_counter() - t_connect
    clients: list[_Session] = []
    for result in opened:
        if isinstance(result, BaseException):
            if isinstance(result, InvalidStatus):
                text = f"HTTP {result.response.status_code} on {STREAM_PATH}"
            elif isinstance(result, InvalidHandshake | OSError | TimeoutError):
                text = f"{type(result).__name__}: {result}"
            else:
                raise result
            tally.error("connect", text)
            tally.skipped += runs
            continue
        clients.append(
            _Session(
                result, base_url=base_url, page=page, query=query, browser_cache=browser_cache, keep_texts=not clients
            )
        )

    async def drive(client: _Session) -> None:
        for _ in range(runs):
            if client.closed:
                tally.skipped += 1
                continue
            await client.run_page(tally, timeout=run_timeout)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(drive(client) for client in clients))
    finally:
        wall_s = time.perf_counter() - started
        await asyncio.gather(*(client.ws.close() for client in clients), return_exceptions=True)
    cpu_after = server_cpu_s(server_pid) if server_pid is not None else None
    rss = server_rss(server_pid) if server_pid is not None else None
    return LevelResult(
        sessions=sessions,
        runs=runs,
        completed=len(tally.latencies),
        errors=sum(tally.errors.values()),
        error_kinds=dict(tally.errors),
        first_errors=tuple(tally.first_errors),
        wall_s=wall_s,
        connect_s=connect_s,
        latencies_s=tuple(tally.latencies),
        bytes_received=tally.bytes_received,
        page_runs_attempted=tally.attempted,
        page_runs_skipped=tally.skipped,
        server_rss_bytes=rss,
        server_cpu_s=cpu_after - cpu_before if cpu_after is not None and cpu_before is not None else None,
        texts=tuple(tally.texts),
        warnings=sum(tally.warnings.values()),
        first_warnings=tuple(tally.first_warnings),
    )


async def aload(
    url: str,
    *,
    user: str,
    password: str,
    page: str = DEFAULT_PAGE,
    sessions: int | Sequence[int] | str = 1,
    runs: int = 10,
    query: str = "",
    server_pid: int | None = None,
    browser_cache: bool = True,
    run_timeout: float = RUN_TIMEOUT_S,
) -> LoadResult:
    """``load`` for callers that already run an event loop."""
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    levels = _parse_levels(sessions)
    base = url.rstrip("/")
    page = page.strip("/")
    query = query.lstrip("?")
    cookie = await asyncio.to_thread(login, base, user=user, password=password)
    pid = server_pid if server_pid is not None else await asyncio.to_thread(find_server_pid, base)
    results = [
        await _level(
            base,
            cookie,
            sessions=n,
            runs=runs,
            page=page,
            query=query,
            browser_cache=browser_cache,
            server_pid=pid,
            run_timeout=run_timeout,
        )
        for n in levels
    ]
    return LoadResult(url=base, user=user, page=page, query=query, browser_cache=browser_cache, levels=tuple(results))


def load(
    url: str,
    *,
    user: str,
    password: str,
    page: str = DEFAULT_PAGE,
    sessions: int | Sequence[int] | str = 1,
    runs: int = 10,
    query: str = "",
    server_pid: int | None = None,
    browser_cache: bool = True,
    run_timeout: float = RUN_TIMEOUT_S,
) -> LoadResult:
    """Log in as ``user``, then for each concurrency level in ``sessions`` (run one after the
    other) open that many websocket sessions, each running ``page`` ``runs`` times in a row.

    Raises ``LoadError`` if the server cannot be reached or refuses the login; everything that
    goes wrong once the load runs (exceptions on the page, closed websockets, timeouts) is
    counted in the result instead, so one bad run does not hide the figures of the others.
    The server's RSS is read after each level from ``server_pid`` or, if not given, from the
    local process listening on the URL's port.

    It runs its event loop in a thread of its own: the caller's thread may already have one
    running (Playwright's sync API leaves one in a pytest worker that ran a browser test).
    """
    job = aload(
        url,
        user=user,
        password=password,
        page=page,
        sessions=sessions,
        runs=runs,
        query=query,
        server_pid=server_pid,
        browser_cache=browser_cache,
        run_timeout=run_timeout,
    )
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ws_load") as pool:
        return pool.submit(asyncio.run, job).result()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ws_load.py", description="Run a Streamlit page over N concurrent websocket sessions and time it."
    )
    parser.add_argument("--url", default="http://127.0.0.1:8501", help="server base URL")
    parser.add_argument("--user", default=DEFAULT_USER)
    parser.add_argument(
        "--password",
        default=os.environ.get("GIAOVIEC_LOAD_PASSWORD"),
        help="password (default: $GIAOVIEC_LOAD_PASSWORD)",
    )
    parser.add_argument("--page", default=DEFAULT_PAGE, help="URL path of the page (st.Page url_path)")
    parser.add_argument("--sessions", default="1,5,20", help="comma-separated concurrency levels")
    parser.add_argument("--runs", type=int, default=10, help="page runs per session, one after another")
    parser.add_argument(
        "--query", default="", help='query string of the first run, e.g. "from=2026-01-01&to=2026-11-26"'
    )
    parser.add_argument("--server-pid", type=int, default=None, help="server PID for RSS (default: the port's owner)")
    parser.add_argument("--no-cache", action="store_true", help="declare no browser message cache")
    parser.add_argument("--timeout", type=float, default=RUN_TIMEOUT_S, help="seconds allowed for one page run")
    args = parser.parse_args(argv)
    if not args.password:
        parser.error("--password is required (or set GIAOVIEC_LOAD_PASSWORD)")
    try:
        levels = _parse_levels(args.sessions)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        result = load(
            args.url,
            user=args.user,
            password=args.password,
            page=args.page,
            sessions=levels,
            runs=args.runs,
            query=args.query,
            server_pid=args.server_pid,
            browser_cache=not args.no_cache,
            run_timeout=args.timeout,
        )
    except LoadError as exc:
        print(f"ws_load: {exc}", file=sys.stderr)
        return 2
    cache = "browser cache" if result.browser_cache else "no cache"
    print(f"{result.url}/{result.page} as {result.user}, {args.runs} runs per session, {cache}")
    print(result.table())
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
