"""The real server for the tests (and the benchmark) that speak HTTP: `streamlit run asgi.py` on
127.0.0.1 and a free port, waited for until healthy, and stopped (its whole process group)
afterwards; free blocks of ports for layouts of several processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.infra.settings import ROOT

VENV_BIN = Path(sys.executable).parent
START_TIMEOUT_S = 30.0


class ServerError(RuntimeError):
    """The server exited or did not become healthy; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def free_block(size: int) -> int:
    """A port P with P … P + size - 1 all free on 127.0.0.1 (nginx's port, then the app ports)."""
    for _ in range(100):
        first = free_port()
        if first + size < 65536 and all(not listening(p) and bindable(p) for p in range(first, first + size)):
            return first
    raise RuntimeError("no block of free ports")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            return bool(response.read().decode().strip() == "ok")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def streamlit_command(port: int, script: str = "asgi.py") -> list[str]:
    """How the tests and the benchmark start one app process (``script``: another Streamlit
    script, such as the benchmark's floor page)."""
    return [
        str(VENV_BIN / "streamlit"),
        "run",
        script,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        # Without this, a source file saved while the test runs (someone editing) makes
        # Streamlit re-import the models, and the next rerun of an open session fails with
        # "Table 'org_unit' is already defined for this MetaData instance".
        "--server.fileWatcherType",
        "none",
    ]


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group we started (the server and its children), SIGKILL if it lingers."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def start_healthy(
    env: dict[str, str], log_path: Path, port: int, *, timeout_s: float = START_TIMEOUT_S, script: str = "asgi.py",
    append: bool = False,
) -> subprocess.Popen[bytes]:
    """Start one app process on ``port`` (its log in ``log_path``, added to when ``append``) and
    return it once healthy; ``ServerError`` (the process stopped) if it exits or is not healthy in
    time."""
    with log_path.open("ab" if append else "wb") as log:
        proc = subprocess.Popen(
            streamlit_command(port, script),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while not healthy(base_url):
        if proc.poll() is not None:
            raise ServerError(f"server exited with {proc.returncode}:\n{log_path.read_text()}")
        if time.monotonic() > deadline:
            stop_group(proc)
            raise ServerError(f"server not healthy after {timeout_s:.0f} s:\n{log_path.read_text()}")
        time.sleep(0.1)
    return proc


@contextmanager
def streamlit_process(
    env: dict[str, str], log_path: Path, *, timeout_s: float = START_TIMEOUT_S, script: str = "asgi.py"
) -> Iterator[tuple[str, int]]:
    """Start one app process with ``env``; yield its base URL and pid once healthy (``ServerError``
    if it exits or is not healthy in time); the log goes to ``log_path``."""
    port = free_port()
    proc = start_healthy(env, log_path, port, timeout_s=timeout_s, script=script)
    try:
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        stop_group(proc)


@contextmanager
def running_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Start the app with ``env``; yield its base URL; the log goes to ``log_path``."""
    with streamlit_process(env, log_path) as (base_url, _pid):
        yield base_url


class SupervisedServer:
    """One app process for a module of browser tests that outlives a crash of the process.

    The server runs C extensions in threads (pyarrow, pandas, the database drivers); should one of
    them kill the process, every later test of the module would fail on a refused connection and
    hide its own verdict. ``restart_if_dead`` (before each test) starts it again on the same port,
    so the base URL the browser contexts hold stays right; ``died`` (after each test) tells the
    test that was running, whose failure is then the crash's, with its exit status and the end of
    the log, where faulthandler (asgi.py) has written every thread's stack."""

    def __init__(self, env: dict[str, str], log_path: Path, *, timeout_s: float = START_TIMEOUT_S) -> None:
        self.env, self.log_path, self.timeout_s = env, log_path, timeout_s
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc = start_healthy(env, log_path, self.port, timeout_s=timeout_s)

    def died(self) -> str | None:
        """None while the process runs; else how it ended, with faulthandler's report from its
        first line (the crashing thread comes first), or the end of the log when there is none."""
        code = self.proc.poll()
        if code is None:
            return None
        how = f"signal {-code} ({signal.Signals(-code).name})" if code < 0 else f"exit status {code}"
        lines = self.log_path.read_text(errors="replace").splitlines()
        fatal = [i for i, line in enumerate(lines) if line.startswith("Fatal Python error")]
        shown = lines[fatal[-1] : fatal[-1] + 60] if fatal else lines[-80:]
        return f"the app server (pid {self.proc.pid}) died: {how}; from {self.log_path}:\n" + "\n".join(shown)

    def restart_if_dead(self) -> None:
        if self.died() is None:
            return
        with self.log_path.open("ab") as log:
            log.write(b"\n--- restarted by tests/server.py after the crash above ---\n")
        self.proc = start_healthy(self.env, self.log_path, self.port, timeout_s=self.timeout_s, append=True)

    def stop(self) -> None:
        stop_group(self.proc)
