"""Command line: ``python manage.py <command>``; ``python manage.py -h`` lists them.

Scheduled and administrative work runs here, calling the same services as the pages:

* ``migrate``: validate config, create/upgrade the database, sync the org tree;
* ``check``: ``migrate``, then refuse to go live while an account still has the demo password;
* ``serve``: ``check``, then one app process (``streamlit run asgi.py``), no demo data
  (``make start``; the several processes behind nginx are ``make serve``, ``scripts/serve.py``);
* ``seed-demo``, ``generate``: demo data (``make run``), never on a live database;
* ``create-admin``, ``create-user``, ``set-password``, ``lock`` (``--demo``: every account that
  still has the demo password), ``unlock``: accounts. Passwords
  are asked twice without echo (``getpass``), or read from the first line of stdin when it is
  not a terminal (scripts), never taken from the command line: the shell's history and ``ps``
  would keep them. ``create-user --password`` still works, for old scripts, with a warning;
* ``backup``, ``restore``: the database to a dated private file and back (``services/infra/backup.py``).
* ``remind [--date D]``: the daily reminders (đôn đốc) and the e-mail of notifications (cron or a
  systemd timer; ``services/reminders/command.py``).
* ``import units|users|tasks FILE``: units, accounts or assignment documents with their tasks from
  an .xlsx/.csv template, all or nothing (``services/imports``; errors on stderr by sheet, row, column).
* ``report --from D --to D|--ky KỲ --format xlsx|docx|csv|KEY --out FILE``: Giám sát's report of a
  period to a file, for a monthly cron job (``services/reports/command.py``); KEY: a plugin's format.

The plugins (``services/plugins.py``) are discovered when the command starts.

Exit codes: 0 done, 1 refused (the reason on stderr, in Vietnamese), 2 bad usage or config.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sqlite3
import sys
from pathlib import Path

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from models import Role
from services.config.loader import ConfigError
from services.infra.clock import local_date, now_utc
from services.infra.errors import InvalidInput, ServiceError
from services.infra.settings import get_settings
from services.plugins import discover_at_start
from services.runtime import Runtime, start

ROOT = Path(__file__).resolve().parent
SHOWN_ACCOUNTS = 20  # demo accounts named in the refusal; the rest are counted


def positive(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"phải là số nguyên ít nhất 1, không phải '{value}'")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manage.py", description="Giao việc — quản trị dòng lệnh")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="kiểm tra cấu hình, tạo/nâng cấp CSDL, đồng bộ đơn vị")
    sub.add_parser(
        "check",
        help="như migrate, rồi kiểm tra trước khi vận hành thật: không còn tài khoản mẫu với mật khẩu mẫu",
    )
    serve = sub.add_parser(
        "serve", help="vận hành thật, một tiến trình: check rồi chạy ứng dụng (không tạo dữ liệu mẫu)"
    )
    serve.add_argument("--port", type=int, default=8501, help="cổng (mặc định 8501)")
    serve.add_argument(
        "--address",
        default=None,
        help="địa chỉ lắng nghe (mặc định GIAOVIEC_BIND_ADDRESS hoặc 127.0.0.1; 0.0.0.0 để mở ra mạng)",
    )
    sub.add_parser("seed-demo", help="tạo tài khoản và dữ liệu mẫu (chạy lại không nhân đôi; không dùng khi chạy thật)")
    generate = sub.add_parser(
        "generate", help="sinh N nhiệm vụ với lịch sử xử lý như thật (đo hiệu năng; chạy lại thêm N nhiệm vụ)"
    )
    generate.add_argument("--tasks", type=int, required=True, help="số nhiệm vụ cần sinh")
    generate.add_argument("--seed", type=int, default=1, help="hạt giống ngẫu nhiên (mặc định 1)")

    admin = sub.add_parser("create-admin", help="tạo tài khoản quản trị (hỏi mật khẩu hai lần)")
    admin.add_argument("username")
    admin.add_argument("--name", required=True, help="họ tên")
    admin.add_argument("--unit", required=True, help="mã định danh đơn vị (ví dụ 000.00.11.H21)")
    user = sub.add_parser("create-user", help="tạo tài khoản (hỏi mật khẩu hai lần)")
    user.add_argument("username")
    user.add_argument("--name", required=True, help="họ tên")
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--unit", required=True, help="mã định danh đơn vị")
    user.add_argument(
        "--password",
        default=None,
        help="KHÔNG KHUYẾN KHÍCH: mật khẩu trên dòng lệnh lộ trong lịch sử lệnh và danh sách tiến trình; "
        "bỏ trống để nhập (hoặc đưa vào stdin)",
    )
    password = sub.add_parser(
        "set-password", help="đặt mật khẩu mới (hỏi hai lần); mọi phiên đăng nhập của tài khoản kết thúc"
    )
    password.add_argument("username")
    lock = sub.add_parser("lock", help="khoá tài khoản: không đăng nhập được, mọi phiên kết thúc ngay")
    lock.add_argument("usernames", nargs="*", metavar="username")
    lock.add_argument("--demo", action="store_true", help="khoá mọi tài khoản còn mật khẩu mẫu")
    unlock = sub.add_parser("unlock", help="mở khoá tài khoản")
    unlock.add_argument("usernames", nargs="+", metavar="username")

    backup = sub.add_parser("backup", help="sao lưu CSDL vào tệp có ngày giờ (chỉ chủ sở hữu đọc được)")
    backup.add_argument("--dir", type=Path, default=None, help="thư mục (mặc định GIAOVIEC_BACKUP_DIR, data/backups)")
    backup.add_argument(
        "--keep", type=positive, default=None, help="giữ N bản mới nhất (mặc định GIAOVIEC_BACKUP_KEEP, 14)"
    )
    restore = sub.add_parser("restore", help="khôi phục một bản sao lưu vào CSDL trống, rồi đối chiếu")
    restore.add_argument("file", type=Path)
    imports = sub.add_parser(
        "import", help="nhập đơn vị, tài khoản hoặc văn bản giao nhiệm vụ từ tệp .xlsx/.csv (tất cả hoặc không)"
    )
    imports.add_argument("kind", choices=["units", "users", "tasks"])
    imports.add_argument("file", type=Path)
    imports.add_argument("--admin", default=None, help="tài khoản quản trị thực hiện (mặc định: tài khoản đầu tiên)")
    imports.add_argument("--tracker", default=None, help="tasks: chuyên viên theo dõi VP UBND được nhập thay")
    report = sub.add_parser(
        "report", help="ghi báo cáo Giám sát của một kỳ ra tệp xlsx, docx hoặc csv (chạy định kỳ bằng cron)"
    )
    report.add_argument("--from", dest="date_from", default=None, help="từ ngày, 2026-01-01 hoặc 01/01/2026")
    report.add_argument("--to", dest="date_to", default=None, help="đến ngày")
    report.add_argument("--ky", default=None, help="hoặc một kỳ có tên: thang-truoc, quy-1, … (thay --from/--to)")
    report.add_argument(
        "--format", dest="fmt", default="xlsx", help="xlsx (mặc định), docx, csv hoặc mã định dạng của phần mở rộng"
    )
    report.add_argument("--out", required=True, help="tệp cần ghi")
    remind = sub.add_parser(
        "remind", help="đôn đốc hằng ngày: gửi mức đôn đốc đã đến hạn, rồi thư thông báo (chạy bằng cron/systemd)"
    )
    remind.add_argument("--date", default=None, help="chạy như vào ngày này (2026-03-31 hoặc 31/03/2026)")
    return parser


def read_new_password(username: str) -> str:
    """The new password: asked twice without echo on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"Mật khẩu mới cho {username}: ")
        again = getpass.getpass("Nhập lại mật khẩu: ")
        if first != again:
            raise InvalidInput("Hai lần nhập mật khẩu không khớp; không có gì thay đổi.", field="password")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def demo_accounts_left(session: Session) -> list[str]:
    """The active accounts that still have the demo password printed in the README."""
    from demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
    from services.access.accounts import accounts_with_password

    usernames = [a.username for a in DEMO_ACCOUNTS]
    return accounts_with_password(session=session, password=DEMO_PASSWORD, usernames=usernames)


def demo_refusal(names: list[str]) -> str:
    """Why a live start is refused, and what to do about it, in one message."""
    from demo.seed import DEMO_PASSWORD

    shown = ", ".join(names[:SHOWN_ACCOUNTS]) + (
        f" và {len(names) - SHOWN_ACCOUNTS} tài khoản khác" if len(names) > SHOWN_ACCOUNTS else ""
    )
    return (
        f"Không khởi động: {len(names)} tài khoản còn mật khẩu mẫu công khai '{DEMO_PASSWORD}' (in trong "
        f"README): {shown}.\n"
        "Đây là dữ liệu trình diễn (make run, seed-demo, generate). Vận hành thật trên một cơ sở dữ liệu "
        "mới, chưa có dữ liệu mẫu, rồi tạo quản trị:\n"
        '  python manage.py create-admin TÊN --name "Họ tên" --unit MÃ-ĐƠN-VỊ\n'
        "Nếu muốn giữ cơ sở dữ liệu này: đặt mật khẩu mới cho tài khoản cần dùng, rồi khoá mọi tài khoản "
        "còn mật khẩu mẫu:\n"
        f"  python manage.py set-password {names[0]}\n"
        "  python manage.py lock --demo"
    )


def exec_server(*, port: int, address: str) -> None:
    """Replace this process with ``streamlit run asgi.py`` (a service manager then watches the
    server itself, and its signals reach it directly)."""
    streamlit = str(Path(sys.executable).parent / "streamlit")
    os.chdir(ROOT)
    command = [
        streamlit,
        "run",
        "asgi.py",
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
    ]
    print(f"Khởi động ứng dụng trên http://{address}:{port} …", flush=True)
    os.execv(streamlit, command)


def backup_command(args: argparse.Namespace) -> int:
    from services.infra.backup import backup

    settings = get_settings()
    result = backup(
        database_url=settings.resolved_database_url(),
        folder=args.dir or settings.resolved_backup_dir(),
        keep=settings.backup_keep if args.keep is None else args.keep,
        now=now_utc(),
        files_dir=settings.resolved_files_dir(),
    )
    print(f"Đã sao lưu vào {result.path} ({result.size / 1_048_576:.1f} MB): {result.contents.describe()}.")
    if result.files_archive is not None:
        print(f"Tệp đính kèm: {result.files} tệp vào {result.files_archive.name}.")
    if result.removed:
        print(f"Đã xoá {len(result.removed)} bản cũ: {', '.join(p.name for p in result.removed)}.")
    return 0


def restore_command(args: argparse.Namespace) -> int:
    from services.infra.backup import restore

    settings = get_settings()
    url = settings.resolved_database_url()
    result = restore(database_url=url, source=args.file, files_dir=settings.resolved_files_dir())
    if result.differences:
        print("Đã khôi phục nhưng KHÔNG khớp với bản sao lưu:", file=sys.stderr)
        for line in result.differences:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"Đã khôi phục {args.file.name}. Đối chiếu với bản sao lưu: khớp — {result.actual.describe()}.")
    if result.files_restored:
        print(f"Đã chép lại {result.files_restored} tệp đính kèm vào {settings.resolved_files_dir()}.")
    print("Khởi động lại ứng dụng (nó nâng cấp CSDL nếu bản sao lưu cũ hơn phiên bản đang chạy).")
    return 0


def accounts_command(args: argparse.Namespace, session: Session) -> int:
    from services.access import accounts

    if args.command in ("create-admin", "create-user"):
        if args.command == "create-user" and args.password is not None:
            warning = "Cảnh báo: mật khẩu trên dòng lệnh lộ trong lịch sử lệnh; lần sau hãy bỏ --password."
            print(warning, file=sys.stderr)
            secret = args.password
        else:
            secret = read_new_password(args.username)
        role = Role.ADMIN if args.command == "create-admin" else Role(args.role)
        accounts.create_user(
            session=session,
            username=args.username,
            full_name=args.name,
            password=secret,
            role=role,
            unit_code=args.unit,
        )
        print(f"Đã tạo tài khoản {args.username.strip().lower()} ({role.value}).")
    elif args.command == "set-password":
        user = accounts.find_user(session=session, username=args.username)
        accounts.set_password(
            session=session, username=user.username, password=read_new_password(user.username), now=now_utc()
        )
        print(f"Đã đặt mật khẩu mới cho {user.username}; mọi phiên đăng nhập trước đó đã kết thúc.")
    else:
        locked = args.command == "lock"
        names = list(args.usernames)
        if locked and args.demo:
            names += [n for n in demo_accounts_left(session) if n not in names]
        if not names:
            print("Cần tên đăng nhập (hoặc --demo).", file=sys.stderr)
            return 2
        failed = 0
        for name in names:
            try:
                user, changed = accounts.set_locked(
                    session=session, username=name, locked=locked, now=now_utc(), config_dir=get_settings().config_dir
                )
            except ServiceError as exc:  # the others are still locked or unlocked
                session.rollback()
                print(exc.message, file=sys.stderr)
                failed += 1
                continue
            if not changed:
                print(f"Tài khoản {user.username} đã {'bị khoá' if locked else 'đang hoạt động'} từ trước.")
            elif locked:
                print(f"Đã khoá {user.username}; mọi phiên đăng nhập đã kết thúc.")
            else:
                print(f"Đã mở khoá {user.username}.")
        return 1 if failed else 0
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    discover_at_start()  # Phần mở rộng: found now, a broken plugin logged before any command runs
    try:
        if args.command == "backup":
            return backup_command(args)
        if args.command == "restore":
            return restore_command(args)
    except ServiceError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    except (DBAPIError, sqlite3.Error) as exc:  # no server, a wrong password, a file that is not SQLite
        print(f"Không đọc/ghi được cơ sở dữ liệu: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    if args.command == "report":  # bad arguments are refused before the database is touched
        from services.reports.command import read_request

        try:
            read_request(
                date_from=args.date_from,
                date_to=args.date_to,
                preset=args.ky,
                fmt=args.fmt,
                out=args.out,
                today=local_date(now_utc()),
            )
        except InvalidInput as exc:
            print(exc.message, file=sys.stderr)
            return 2
    try:
        runtime = start()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        code = run_command(args, runtime)
    finally:
        runtime.engine.dispose()
    if code == 0 and args.command == "serve":
        exec_server(port=args.port, address=args.address or runtime.settings.bind_address)
    return code


def run_command(args: argparse.Namespace, runtime: Runtime) -> int:
    """Every command that needs the started runtime (config validated, database migrated)."""
    with Session(runtime.engine) as session:
        try:
            if args.command in ("check", "serve"):
                left = demo_accounts_left(session)
                if left:
                    print(demo_refusal(left), file=sys.stderr)
                    return 1
                print("Cơ sở dữ liệu đã được cập nhật; không còn tài khoản nào có mật khẩu mẫu.")
            elif args.command == "seed-demo":
                from demo.seed import seed_demo

                count = seed_demo(session=session, config=runtime.config, today=local_date(now_utc()))
                print(f"Đã tạo {count} văn bản mẫu." if count else "Dữ liệu mẫu đã có sẵn.")
            elif args.command == "generate":
                from demo.generate import generate_tasks

                if args.tasks < 1:
                    print("--tasks phải lớn hơn 0.", file=sys.stderr)
                    return 2
                report = generate_tasks(
                    session=session,
                    config=runtime.config,
                    tasks=args.tasks,
                    today=local_date(now_utc()),
                    seed=args.seed,
                )
                print(report.summary())
            elif args.command in ("create-admin", "create-user", "set-password", "lock", "unlock"):
                return accounts_command(args, session)
            elif args.command == "report":
                from services.reports.command import run as run_report

                return run_report(
                    runtime=runtime,
                    date_from=args.date_from,
                    date_to=args.date_to,
                    preset=args.ky,
                    fmt=args.fmt,
                    out=args.out,
                    today=local_date(now_utc()),
                )
            elif args.command == "remind":
                from services.reminders.command import run as run_remind

                return run_remind(runtime=runtime, date_text=args.date)
            elif args.command == "import":
                from services.imports.command import run as run_import

                return run_import(
                    runtime=runtime, kind=args.kind, path=args.file, admin=args.admin, tracker=args.tracker
                )
            else:
                print("Cơ sở dữ liệu đã được cập nhật.")
        except ServiceError as exc:
            print(exc.message, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
