"""The real server for the tests that speak HTTP: `streamlit run asgi.py` on 127.0.0.1 and a free
port, waited for until healthy, and stopped (its whole process group) afterwards."""

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

import pytest

from services.infra.settings import ROOT

VENV_BIN = Path(sys.executable).parent
HEALTH_POLLS = 300  # x 0.1 s


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Start the app with ``env``; yield its base URL; the log goes to ``log_path``."""
    port = free_port()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                str(VENV_BIN / "streamlit"),
                "run",
                "asgi.py",
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
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(HEALTH_POLLS):
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=1) as response:
                    if response.read().decode().strip() == "ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        else:
            pytest.fail(f"server not healthy after {HEALTH_POLLS / 10:.0f} s:\n{log_path.read_text()}")
        yield base_url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
