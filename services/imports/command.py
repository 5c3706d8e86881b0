"""``python manage.py import units|users|tasks FILE``: the page's imports from the command line.

The same checks, the same one transaction and the same Vietnamese errors (one line each on stderr:
sheet, row, column, message). Exit status 0 only when every row was imported, 1 when nothing was.
The command acts as an administrator account (``--admin``, else the first active one) and, for
tasks, enters the documents as a VP UBND tracker (``--tracker``, else the first one).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from sqlmodel import Session, col, select

from models import Role, User
from services.access.permissions import Actor, build_actor
from services.imports import tasks as task_import
from services.imports import units as unit_import
from services.imports import users as user_import
from services.imports.common import ImportRefused, ImportResult, problem_line
from services.infra.clock import local_date, now_utc
from services.infra.errors import ServiceError
from services.runtime import Runtime

KINDS = ("units", "users", "tasks")


def _admin(session: Session, runtime: Runtime, username: str | None) -> Actor | None:
    query = select(User).where(col(User.active), User.role == Role.ADMIN).order_by(col(User.id))
    if username:
        query = select(User).where(User.username == username.strip().lower(), col(User.active))
    user = session.exec(query).first()
    if user is None or user.id is None:
        return None
    actor = build_actor(session=session, config=runtime.config, user_id=user.id)
    return actor if actor is not None and actor.role is Role.ADMIN else None


def run(
    *,
    runtime: Runtime,
    kind: str,
    path: Path,
    admin: str | None = None,
    tracker: str | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"Không đọc được tệp {path}: {exc.strerror or exc}.", file=err)
        return 1
    with Session(runtime.engine, expire_on_commit=False) as session:
        actor = _admin(session, runtime, admin)
        if actor is None:
            who = f"“{admin}”" if admin else "nào"
            print(f"Không có tài khoản quản trị đang hoạt động {who} để nhập dữ liệu.", file=err)
            return 1
        if kind == "tasks" and not tracker:
            found = task_import.tracker_accounts(session=session, config=runtime.config)
            tracker = found[0].username if found else ""
    if kind == "tasks" and not tracker:
        print("Chưa có tài khoản chuyên viên theo dõi nào của Văn phòng UBND tỉnh để nhập thay.", file=err)
        return 1
    progress = None
    if out.isatty():

        def progress(done: int, total: int) -> None:
            print(f"\r{done}/{total} dòng", end="", file=out, flush=True)

    try:
        result: ImportResult
        if kind == "tasks":
            result = task_import.import_tasks(
                engine=runtime.engine,
                actor=actor,
                config=runtime.config,
                data=data,
                file_name=path.name,
                tracker_username=tracker or "",
                today=local_date(now_utc()),
                progress=progress,
            )
        elif kind == "units":
            result = unit_import.import_units(engine=runtime.engine, actor=actor, data=data, file_name=path.name)
        else:
            result = user_import.import_users(
                engine=runtime.engine, actor=actor, config=runtime.config, data=data, file_name=path.name
            )
    except ImportRefused as refused:
        if progress is not None:
            print(file=out)
        print(f"Tệp {path.name} có {len(refused.problems)} lỗi; không có gì được tạo.", file=err)
        for problem in refused.problems:
            print(problem_line(problem), file=err)
        return 1
    except ServiceError as refusal:
        print(refusal.message, file=err)
        return 1
    if progress is not None:
        print(file=out)
    print(f"Đã nhập {result.rows} dòng từ tệp {path.name}.", file=out)
    if kind == "tasks":
        print(task_import.summary_line(result.summary), file=out)
    if not result.extra.empty:
        print("Mật khẩu đầu tiên (chỉ hiện một lần; phải đổi khi đăng nhập lần đầu):", file=out)
        for row in result.extra.itertuples(index=False):
            print(f"  {row[0]}\t{row[-1]}", file=out)
    return 0
