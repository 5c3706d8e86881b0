"""Nhập đơn vị: units from a spreadsheet, each through ``services.admin.units.add_unit`` (its rules,
its journal row), all in one transaction: a file with one bad row creates no unit.

A phòng's parent may be a unit already in the system or one created by a row above it.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import AdminEntity, OrgUnit, Permission, UnitKind
from services.access.permissions import Actor, require
from services.admin import journal
from services.admin.units import CODE_MAX, CODE_RULE, KIND_LABELS, add_unit
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
    U_CODE,
    U_KIND,
    U_NAME,
    U_PARENT,
    U_SHORT,
    UNIT_COLUMNS,
    UNIT_SHEET,
    Problem,
    UnitContext,
    choice_key,
    unit_rules,
)
from services.infra.errors import ServiceError
from services.org.units import LEAD_KINDS

ADMIN_ONLY = "Chỉ quản trị hệ thống được nhập dữ liệu."
ACTION = "import_units"
NEW_KINDS = (UnitKind.DEPARTMENT, UnitKind.DISTRICT, UnitKind.SUBUNIT)


def unit_context(session: Session) -> UnitContext:
    units = session.exec(select(OrgUnit)).all()
    kinds: dict[str, str] = {}
    for kind in NEW_KINDS:
        kinds[choice_key(kind.value)] = kind.value
        kinds[choice_key(KIND_LABELS[kind])] = kind.value
    return UnitContext(
        existing={u.code for u in units},
        parents={u.code for u in units if u.active and u.kind in LEAD_KINDS},
        kinds=kinds,
        kind_hint="; ".join(KIND_LABELS[k] for k in NEW_KINDS),
        code_max=CODE_MAX,
        code_pattern=CODE_RULE.pattern,
    )


def check_units(*, session: Session, data: bytes, file_name: str) -> Checked:
    try:
        sheet = read_sheet(data, file_name=file_name, sheet=UNIT_SHEET, columns=UNIT_COLUMNS)
    except UnreadableFile as refusal:
        return Checked("units", file_name, None, [Problem(0, UNIT_SHEET, "", refusal.message)])
    ctx = unit_context(session)
    rules, schema = unit_rules(sheet.frame, ctx)
    problems = rules.problems(schema, sheet.frame)
    frame = sheet.frame
    preview = frame.copy()
    preview.insert(0, "Dòng", frame.index)
    preview[U_KIND] = [
        KIND_LABELS[UnitKind(ctx.kinds[choice_key(v)])] if choice_key(v) in ctx.kinds else v for v in frame[U_KIND]
    ]
    return Checked("units", file_name, sheet, problems, preview.reset_index(drop=True), {"rows": len(frame)})


def import_units(
    *, engine: Engine, actor: Actor, data: bytes, file_name: str, progress: Progress | None = None
) -> ImportResult:
    """Every unit of the file, or none (``ImportRefused`` with every problem)."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    with one_transaction(engine) as session:
        checked = check_units(session=session, data=data, file_name=file_name)
        if not checked.ok:
            raise ImportRefused(checked.problems)
        assert checked.sheet is not None
        frame = checked.sheet.frame
        ctx = unit_context(session)
        total = len(frame)
        tick(progress, 0, total)
        created: list[str] = []
        for done, (number, row) in enumerate(frame.iterrows(), start=1):
            try:
                unit = add_unit(
                    session=session,
                    actor=actor,
                    code=row[U_CODE],
                    name=row[U_NAME],
                    short_name=row[U_SHORT],
                    kind=ctx.kinds[choice_key(row[U_KIND])],
                    parent_code=row[U_PARENT] or None,
                )
            except ServiceError as refusal:
                raise ImportRefused(refusal_problem(UNIT_SHEET, int(str(number)), U_CODE, refusal)) from None
            created.append(unit.code)
            tick(progress, done, total)
        summary = {"rows": total, "codes": created}
        journal.record(
            session=session,
            actor=actor,
            entity=AdminEntity.IMPORT,
            key=file_name,
            action=ACTION,
            after=summary,
            detail=f"Nhập {total} đơn vị từ {file_name}.",
        )
    return ImportResult(file_name=file_name, rows=total, summary=summary)
