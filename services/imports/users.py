"""Nhập tài khoản: accounts from a spreadsheet, each through ``services.admin.users.create_account``
(its rules, a generated first password the user must change, its journal row), all in one
transaction: a file with one bad row creates no account.

The generated passwords are returned once (``ImportResult.extra``) for the admin to hand over;
only their argon2 hashes are kept.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import AdminEntity, OrgUnit, Permission, Role, User
from services.access.permissions import Actor, require
from services.admin import journal
from services.admin.users import USERNAME_HINT, USERNAME_RULE, create_account
from services.config.loader import AppConfig
from services.imports.common import (
    Checked,
    ImportRefused,
    ImportResult,
    Progress,
    one_transaction,
    refusal_problem,
    tick,
)
from services.imports.reading import UnreadableFile, read_sheet
from services.imports.schemas import (
    A_EMAIL,
    A_NAME,
    A_ROLE,
    A_UNIT,
    A_USERNAME,
    USER_COLUMNS,
    USER_SHEET,
    Problem,
    UserContext,
    choice_key,
    user_rules,
)
from services.infra.errors import ServiceError

ADMIN_ONLY = "Chỉ quản trị hệ thống được nhập dữ liệu."
ACTION = "import_users"
PASSWORD_COLUMN = "Mật khẩu đầu tiên"


def user_context(session: Session, config: AppConfig) -> UserContext:
    roles: dict[str, str] = {}
    for role in Role:
        roles[choice_key(role.value)] = role.value
        roles[choice_key(config.role_label(role))] = role.value
    return UserContext(
        existing=set(session.exec(select(User.username)).all()),
        units=set(session.exec(select(OrgUnit.code).where(col(OrgUnit.active))).all()),
        roles=roles,
        role_hint="; ".join(config.role_label(r) for r in Role),
        username_pattern=USERNAME_RULE.pattern,
        username_hint=USERNAME_HINT,
    )


def check_users(*, session: Session, config: AppConfig, data: bytes, file_name: str) -> Checked:
    try:
        sheet = read_sheet(data, file_name=file_name, sheet=USER_SHEET, columns=USER_COLUMNS)
    except UnreadableFile as refusal:
        return Checked("users", file_name, None, [Problem(0, USER_SHEET, "", refusal.message)])
    ctx = user_context(session, config)
    rules, schema = user_rules(sheet.frame, ctx)
    problems = rules.problems(schema, sheet.frame)
    frame = sheet.frame
    preview = frame.copy()
    preview.insert(0, "Dòng", frame.index)
    preview[A_ROLE] = [
        config.role_label(Role(ctx.roles[choice_key(v)])) if choice_key(v) in ctx.roles else v for v in frame[A_ROLE]
    ]
    return Checked("users", file_name, sheet, problems, preview.reset_index(drop=True), {"rows": len(frame)})


def import_users(
    *,
    engine: Engine,
    actor: Actor,
    config: AppConfig,
    data: bytes,
    file_name: str,
    progress: Progress | None = None,
) -> ImportResult:
    """Every account of the file, or none; ``extra``: each username with its first password."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    with one_transaction(engine) as session:
        checked = check_users(session=session, config=config, data=data, file_name=file_name)
        if not checked.ok:
            raise ImportRefused(checked.problems)
        assert checked.sheet is not None
        frame = checked.sheet.frame
        ctx = user_context(session, config)
        total = len(frame)
        tick(progress, 0, total, every=1)
        passwords: list[tuple[str, str, str, str]] = []
        for done, (number, row) in enumerate(frame.iterrows(), start=1):
            try:
                account, password = create_account(
                    session=session,
                    actor=actor,
                    username=row[A_USERNAME],
                    full_name=row[A_NAME],
                    role=ctx.roles[choice_key(row[A_ROLE])],
                    unit_code=row[A_UNIT],
                    email=row[A_EMAIL],
                )
            except ServiceError as refusal:
                raise ImportRefused(refusal_problem(USER_SHEET, int(str(number)), A_USERNAME, refusal)) from None
            passwords.append((account.username, account.full_name, row[A_UNIT], password))
            tick(progress, done, total, every=1)
        summary = {"rows": total, "usernames": [p[0] for p in passwords]}
        journal.record(
            session=session,
            actor=actor,
            entity=AdminEntity.IMPORT,
            key=file_name,
            action=ACTION,
            after=summary,
            detail=f"Nhập {total} tài khoản từ {file_name}; mật khẩu đầu tiên do hệ thống sinh, đổi khi đăng nhập.",
        )
    extra = pd.DataFrame(passwords, columns=[A_USERNAME, A_NAME, A_UNIT, PASSWORD_COLUMN])
    return ImportResult(file_name=file_name, rows=total, summary=summary, extra=extra)
