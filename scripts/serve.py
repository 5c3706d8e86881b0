"""Production layout: N ``streamlit run asgi.py`` processes behind nginx, started by one command.

``make serve`` (or ``.venv/bin/python scripts/serve.py --processes 2 --port 8501``):

1. refuses to start without PostgreSQL in ``DATABASE_URL``: SQLite is one process only (its
   writers would queue on one file lock, and the processes would not share it safely);
2. makes sure there is one secret key for the login cookie (``GIAOVIEC_SECRET_KEY``, else the
   file in the data directory, created here once), because a cookie signed by one process must be
   accepted by all of them, and runs ``manage.py check`` once: the migration, then a refusal to
   go live while any account still has the demo password of the README (``--allow-demo`` skips
   that check, for trying the layout on demo data, the tests and the benchmark);
3. starts the N app processes on 127.0.0.1 and consecutive internal ports (``--app-port``,
   default ``--port`` + 1), waits for their ``/_stcore/health`` and opens each one's login form
   once, so a bad config or an unreachable database stops the start here, not at a user's login;
4. writes ``deploy/nginx.conf.template`` filled in into the runtime directory and runs Debian's
   nginx in the foreground on ``--host``:``--port`` (``GIAOVIEC_BIND_ADDRESS``, 127.0.0.1 unless
   told ``--host 0.0.0.0``);
5. writes ``serve.json`` (nginx's address, each process's port and pid) into the runtime
   directory and prints the same, then watches: SIGTERM, SIGINT (Ctrl-C) or SIGHUP stops nginx,
   then every app process, and exits 0.

If an app process or nginx dies, serve.py says which one, stops everything else and exits 1: it
does not restart it. A process that dies once usually dies again (the database is gone, a config
file is broken), and a restart loop inside serve.py would hide that; the service manager restarts
the whole layout instead (``Restart=on-failure`` in the systemd unit of docs/deploy.md), which
also migrates again and checks the config again.

Messages are in Vietnamese, like ``manage.py``'s: the people who run it are the province's staff.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import ArgumentError  # noqa: E402

from services.access.auth import SESSION_COOKIE  # noqa: E402
from services.infra.settings import get_settings  # noqa: E402

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
NGINX = "/usr/sbin/nginx"
STATE_FILE = "serve.json"
HEALTH_TIMEOUT_S = 120.0  # two cold Streamlit start-ups on a small, busy machine
NGINX_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
POLL_S = 0.2
PR_SET_PDEATHSIG = 1


class ServeError(Exception):
    """A reason not to start (or to stop), said to the operator in one sentence."""


@dataclass
class Child:
    """One process serve.py started: an app process (with its port) or nginx."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="serve.py",
        description="Giao việc — chạy nhiều tiến trình ứng dụng sau nginx (cần PostgreSQL trong DATABASE_URL)",
    )
    parser.add_argument("--processes", type=int, default=2, help="số tiến trình streamlit (mặc định 2)")
    parser.add_argument("--port", type=int, default=8501, help="cổng nginx (mặc định 8501)")
    parser.add_argument(
        "--host",
        default=get_settings().bind_address,
        help="địa chỉ nginx lắng nghe (mặc định GIAOVIEC_BIND_ADDRESS hoặc 127.0.0.1; 0.0.0.0 để mở ra mạng)",
    )
    parser.add_argument(
        "--app-port", type=int, default=None, help="cổng nội bộ của tiến trình đầu tiên (mặc định --port + 1)"
    )
    parser.add_argument(
        "--runtime-dir",
        type=Path,
        default=None,
        help="thư mục cấu hình, pid, nhật ký của nginx (mặc định $RUNTIME_DIRECTORY hoặc /tmp/giaoviec-serve-<cổng>)",
    )
    parser.add_argument("--max-upload-mb", type=int, default=200, help="dung lượng tải lên tối đa, MB (mặc định 200)")
    parser.add_argument("--nginx", default=NGINX, help=f"chương trình nginx (mặc định {NGINX})")
    parser.add_argument(
        "--allow-demo",
        action="store_true",
        help="cho phép tài khoản còn mật khẩu mẫu (chỉ để thử, kiểm thử, đo hiệu năng; không khi chạy thật)",
    )
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes phải ít nhất là 1")
    if args.app_port is None:
        args.app_port = args.port + 1
    return args


def say(message: str, *, error: bool = False) -> None:
    """One line for the operator (the journal under systemd), flushed at once; errors on stderr."""
    print(f"[serve] {'Lỗi: ' if error else ''}{message}", file=sys.stderr if error else sys.stdout, flush=True)


def require_postgresql() -> str:
    """The database URL, if it is PostgreSQL; anything else is refused with the reason."""
    url = get_settings().database_url or os.environ.get("DATABASE_URL", "")
    if not url:
        raise ServeError(
            "Chưa đặt DATABASE_URL. Chạy nhiều tiến trình cần PostgreSQL, ví dụ "
            "DATABASE_URL=postgresql+psycopg://giaoviec:matkhau@127.0.0.1:5432/giaoviec make serve. "
            "SQLite chỉ dùng cho một tiến trình: make start (make run để thử với dữ liệu mẫu)."
        )
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError as exc:
        raise ServeError(f"DATABASE_URL không hợp lệ: {exc}") from exc
    if backend != "postgresql":
        raise ServeError(
            f"DATABASE_URL trỏ tới {backend}, không phải PostgreSQL. SQLite chỉ dùng cho một tiến trình "
            "(make start); chạy nhiều tiến trình sau nginx cần PostgreSQL."
        )
    return url


def shared_cookie_secret() -> str:
    """Make sure every process signs the login cookie with one key, and derive Streamlit's from it.

    Without ``GIAOVIEC_SECRET_KEY`` each process would read (or, the first time, create and race
    to create) ``secret.key`` in the data directory: created here once, before any process starts.
    Streamlit's own ``server.cookieSecret`` (random per process if unset) is derived from it, so a
    Streamlit-signed cookie would also be valid in every process.
    """
    secret = get_settings().resolved_secret_key()
    return hmac.new(secret.encode(), b"streamlit-cookie-secret", hashlib.sha256).hexdigest()


def runtime_dir(arg: Path | None, port: int) -> Path:
    """The directory for nginx's config, pid, logs and temporary files (created if missing)."""
    folder = arg or Path(os.environ.get("RUNTIME_DIRECTORY") or Path(tempfile.gettempdir()) / f"giaoviec-serve-{port}")
    folder = folder.resolve()
    folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    if folder.stat().st_uid != os.geteuid():
        raise ServeError(f"Thư mục {folder} thuộc người dùng khác; chọn thư mục khác bằng --runtime-dir.")
    if os.geteuid() == 0:
        # As root, nginx's workers run as nobody and write their temporary files in here.
        blocked = [p for p in (folder, *folder.parents) if not p.stat().st_mode & 0o001]
        if blocked:
            raise ServeError(
                f"Chạy bằng root, tiến trình con của nginx (người dùng nobody) không vào được {blocked[0]}; "
                "chọn --runtime-dir khác (ví dụ /run/giaoviec)."
            )
    return folder


def check_free(host: str, port: int) -> None:
    """Refuse a port that something already listens on (clearer than nginx's or Streamlit's error)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ServeError(f"Cổng {host}:{port} đang được dùng ({exc.strerror}).") from exc


def migrate(*, allow_demo: bool) -> None:
    """``manage.py check`` once, before the processes start: the migration (each process would
    only find nothing to do), then the refusal of the demo accounts, which says itself which
    accounts and what to do. ``manage.py migrate`` alone with ``--allow-demo``."""
    command = "migrate" if allow_demo else "check"
    done = subprocess.run([sys.executable, "manage.py", command], cwd=ROOT, check=False)
    if done.returncode != 0:
        raise ServeError(f"manage.py {command} thất bại (mã {done.returncode}); không khởi động.")


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM it if serve.py itself is killed (SIGKILL cannot be caught)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A child in its own session: a Ctrl-C in the terminal reaches serve.py only, which then
    stops nginx before the app processes, in that order."""
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, preexec_fn=_die_with_parent)


def start_app(index: int, port: int, *, max_upload_mb: int, cookie_secret: str) -> Child:
    env = dict(os.environ)
    env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", cookie_secret)
    env["PYTHONUNBUFFERED"] = "1"
    command = [
        str(Path(sys.executable).parent / "streamlit"),
        "run",
        "asgi.py",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--server.maxUploadSize",
        str(max_upload_mb),
    ]
    return Child(name=f"tiến trình {index}", proc=spawn(command, env), port=port)


def _get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), ""


def wait_healthy(children: list[Child], url_of: dict[str, str], timeout_s: float) -> None:
    """Poll each child's ``/_stcore/health`` until "ok"; a child that exits meanwhile stops the start."""
    deadline = time.monotonic() + timeout_s
    waiting = list(children)
    while waiting:
        for child in list(waiting):
            if child.proc.poll() is not None:
                code = child.proc.returncode
                raise ServeError(f"{child.name} (cổng {child.port}) đã thoát khi khởi động, mã {code}.")
            try:
                status, body = _get(f"{url_of[child.name]}/_stcore/health", timeout=1.0)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                continue
            if status == 200 and body.strip() == "ok":
                waiting.remove(child)
        if waiting and time.monotonic() > deadline:
            names = ", ".join(c.name for c in waiting)
            raise ServeError(f"Quá {timeout_s:.0f} giây mà {names} chưa sẵn sàng.")
        if waiting:
            time.sleep(POLL_S)


def warm_up(child: Child) -> None:
    """Open the login form once: the process's start-up (config, database, org sync) runs now."""
    try:
        status, _ = _get(f"http://127.0.0.1:{child.port}/auth/login", timeout=60.0)
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        raise ServeError(f"{child.name} không trả lời trang đăng nhập: {exc}") from exc
    if status != 200:
        raise ServeError(f"{child.name} trả lời trang đăng nhập với mã {status}; xem nhật ký phía trên.")


def render_config(*, folder: Path, host: str, port: int, app_ports: list[int], max_upload_mb: int) -> str:
    """The template with its placeholders filled; an unknown placeholder left over is an error."""
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    values = {
        "RUNTIME_DIR": str(folder),
        "LISTEN": listen,
        "SESSION_COOKIE": SESSION_COOKIE,
        "MAX_BODY_MB": str(max_upload_mb),
        "UPSTREAM_SERVERS": "\n".join(
            f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in app_ports
        ),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise ServeError(f"{TEMPLATE} còn chỗ trống chưa điền: {text[text.index('{{'):][:40]!r}")
    return text


def start_nginx(nginx: str, folder: Path, config_text: str, port: int) -> Child:
    """Check the written config with ``nginx -t``, then run nginx in the foreground."""
    if not Path(nginx).exists():
        raise ServeError(f"Không thấy {nginx}: cài bằng scripts/apt-install.sh nginx (gói nginx của Debian).")
    config_file = folder / "nginx.conf"
    config_file.write_text(config_text, encoding="utf-8")
    base = [nginx, "-p", str(folder), "-c", str(config_file)]
    test = subprocess.run([*base, "-t", "-q"], capture_output=True, text=True, check=False)
    if test.returncode != 0:
        raise ServeError(f"Cấu hình nginx {config_file} sai:\n{test.stderr.strip()}")
    return Child(name="nginx", proc=spawn([*base, "-g", "daemon off;"], dict(os.environ)), port=port)


def stop(children: list[Child]) -> None:
    """SIGTERM each child's process group (nginx first: no new requests), wait, then SIGKILL."""
    for child in children:
        if child.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for child in children:
        try:
            child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{child.name} chưa dừng sau {STOP_TIMEOUT_S:.0f} giây: buộc dừng.")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.proc.pid, signal.SIGKILL)
            child.proc.wait()


class Stop(Exception):
    """Raised by the signal handler: stop everything and exit 0."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Stop(signum)


def write_state(folder: Path, *, url: str, nginx: Child, apps: list[Child]) -> None:
    """``serve.json``: where everything listens, for the operator's scripts and the tests."""
    state = {
        "url": url,
        "nginx_pid": nginx.proc.pid,
        "processes": [{"port": c.port, "pid": c.proc.pid, "url": f"http://127.0.0.1:{c.port}"} for c in apps],
    }
    tmp = folder / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    tmp.replace(folder / STATE_FILE)


def serve(args: argparse.Namespace) -> int:
    """Start everything, then watch it; the return value is the exit code."""
    require_postgresql()
    cookie_secret = shared_cookie_secret()
    app_ports = [args.app_port + i for i in range(args.processes)]
    check_free(args.host, args.port)
    for p in app_ports:
        check_free("127.0.0.1", p)
    folder = runtime_dir(args.runtime_dir, args.port)
    (folder / STATE_FILE).unlink(missing_ok=True)
    say(f"Cập nhật cơ sở dữ liệu (manage.py {'migrate' if args.allow_demo else 'check'})…")
    migrate(allow_demo=args.allow_demo)

    children: list[Child] = []
    try:
        apps = [
            start_app(i, p, max_upload_mb=args.max_upload_mb, cookie_secret=cookie_secret)
            for i, p in enumerate(app_ports, start=1)
        ]
        children.extend(apps)
        say(f"Khởi động {len(apps)} tiến trình ứng dụng trên cổng nội bộ {', '.join(map(str, app_ports))}…")
        wait_healthy(apps, {c.name: f"http://127.0.0.1:{c.port}" for c in apps}, HEALTH_TIMEOUT_S)
        # All at once: manage.py check (or migrate) has just synced the org tree and the task spans, so their
        # start-ups only read.
        with ThreadPoolExecutor(max_workers=len(apps)) as pool:
            list(pool.map(warm_up, apps))

        config_text = render_config(
            folder=folder, host=args.host, port=args.port, app_ports=app_ports, max_upload_mb=args.max_upload_mb
        )
        nginx = start_nginx(args.nginx, folder, config_text, args.port)
        children.insert(0, nginx)  # stopped first
        probe_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        probe = f"http://[{probe_host}]:{args.port}" if ":" in probe_host else f"http://{probe_host}:{args.port}"
        wait_healthy([nginx], {"nginx": probe}, NGINX_TIMEOUT_S)

        url = f"http://{args.host}:{args.port}" if ":" not in args.host else f"http://[{args.host}]:{args.port}"
        for child in apps:
            say(f"{child.name}: http://127.0.0.1:{child.port} (pid {child.proc.pid})")
        say(f"nginx: {url} (pid {nginx.proc.pid}; cấu hình, nhật ký: {folder})")
        write_state(folder, url=url, nginx=nginx, apps=apps)
        say(f"Sẵn sàng: {url}")

        while True:
            for child in children:
                if child.proc.poll() is not None:
                    code = child.proc.returncode
                    say(f"{child.name} (cổng {child.port}) đã dừng bất thường, mã {code}: dừng tất cả.", error=True)
                    return 1
            time.sleep(POLL_S)
    except Stop as received:
        say(f"Nhận {received}: dừng nginx và các tiến trình ứng dụng…")
        return 0
    except ServeError as exc:
        say(f"{exc} Dừng các tiến trình đã khởi động.", error=True)
        return 1
    finally:
        # No second signal may interrupt the stop half-way.
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stop(children)
        (folder / STATE_FILE).unlink(missing_ok=True)
        say("Đã dừng.")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    try:
        return serve(args)
    except ServeError as exc:
        say(str(exc), error=True)
        return 1
    except Stop:
        return 0


if __name__ == "__main__":
    sys.exit(main())
