"""Đơn vị: the org tree administered through forms (issue 10).

Every change is one call: it checks ``Permission.ADMIN``, validates every field at once (a form
shows all its refusals in one round), applies the change, bumps the data version (the cached
public table of Giám sát names the units), writes one row of the administration journal
(``services.admin.journal.record``, entity ``unit``, key the unit's code, the values before and
after) and commits, all in one transaction: a refusal changes nothing.

What may be done, and why so little:
* **add** a sở/ban/ngành, a UBND cấp huyện (top level) or a phòng (under one of those); there is
  one VP UBND, set up by ``config/org.yaml`` and never added here;
* **rename** (full and short name; the code is the unit's identity in ``config/workflows.yaml``,
  old journals and the exchange format, so it never changes);
* **move** a phòng to another parent;
* **deactivate** a unit with its phòng (no new task, no pick in any list; its figures stay), and
  **reactivate** it;
* **merge** (sáp nhập) units into a successor from a date (``merge_units``).

Nothing is deleted: old tasks, journals and figures name every unit that ever existed.
Texts are stored as typed (HTML or ``=cmd`` included) and every page shows them as text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from models import (
    AdminChange,
    AdminEntity,
    CloseReason,
    EventAction,
    Flow,
    OrgUnit,
    Permission,
    Task,
    TaskEvent,
    TaskStatus,
    UnitKind,
    User,
)
from models.tables import TaskCoordinator, TaskLeadChange
from services.access import administrators
from services.access.permissions import Actor, require
from services.admin import journal
from services.admin.workflow_admin import hand_over_variants
from services.infra.clock import fmt_date, local_date, now_utc
from services.infra.data_version import bump_data_version
from services.infra.errors import Conflict, FieldError, InvalidInput, NotFound
from services.infra.text import clean_text
from services.journal.events import record_event
from services.org.units import LEAD_KINDS

ADMIN_ONLY = "Chỉ quản trị hệ thống quản lý được cơ cấu đơn vị."
CODE_MAX = 35
CODE_RULE = re.compile(r"[0-9A-Z.]+")
CODE_HINT = (
    f"Mã định danh gồm tối đa {CODE_MAX} ký tự: chữ số, chữ in hoa A–Z và dấu chấm "
    "(QĐ 20/2020/QĐ-TTg), ví dụ 000.00.20.H21."
)
NAME_MAX = 255
SHORT_NAME_MAX = 120
OPEN_STATUSES = (TaskStatus.OPEN, TaskStatus.REPLIED)  # not confirmed done, not closed
KIND_LABELS = {
    UnitKind.OFFICE: "Văn phòng UBND tỉnh",
    UnitKind.DEPARTMENT: "Sở, ban, ngành",
    UnitKind.DISTRICT: "UBND cấp huyện",
    UnitKind.SUBUNIT: "Phòng, đơn vị trực thuộc",
}


@dataclass(frozen=True)
class UnitNode:
    """One unit as the tree on "Đơn vị" shows it."""

    unit_id: int
    code: str
    name: str
    short_name: str
    kind: UnitKind
    parent_code: str | None
    active: bool
    depth: int  # 0: a top-level unit, 1: a phòng
    open_tasks: int  # tasks it leads now, not confirmed done nor closed
    users: int


@dataclass(frozen=True)
class MergeResult:
    """What a merge did, for the admin's screen."""

    successor: str  # the successor's code
    merged: tuple[str, ...]
    moved_tasks: tuple[int, ...]
    moved_users: tuple[str, ...]
    moved_subunits: tuple[str, ...]
    coordinating_on: tuple[int, ...] = ()  # open tasks a merged unit coordinated: the successor does now
    archives_waiting: tuple[int, ...] = ()  # wrong-unit tasks whose lưu kết thúc is the successor's clerk's now
    variants: tuple[str, ...] = ()  # merged units' own workflow variants the successor runs now
    variants_left: tuple[str, ...] = ()  # those it could not take (its own, or two for one workflow)


# --- reading ---------------------------------------------------------------------------------


def unit_tree(*, session: Session, actor: Actor) -> list[UnitNode]:
    """Every unit, active or not, each under its parent, in the order of the org tree."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    units = list(session.exec(select(OrgUnit).order_by(col(OrgUnit.sort_order), col(OrgUnit.id))).all())
    codes = {u.id: u.code for u in units}
    tasks = dict(
        session.exec(
            select(col(Task.lead_unit_id), func.count())
            .where(col(Task.status).in_(OPEN_STATUSES))
            .group_by(col(Task.lead_unit_id))
        ).all()
    )
    users = dict(session.exec(select(col(User.unit_id), func.count()).group_by(col(User.unit_id))).all())
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in codes else None
        children.setdefault(parent, []).append(unit)
    found: list[UnitNode] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in children.get(parent, []):
            assert unit.id is not None
            found.append(
                UnitNode(
                    unit_id=unit.id,
                    code=unit.code,
                    name=unit.name,
                    short_name=unit.short_name,
                    kind=unit.kind,
                    parent_code=codes.get(unit.parent_id) if unit.parent_id is not None else None,
                    active=unit.active,
                    depth=depth,
                    open_tasks=int(tasks.get(unit.id, 0)),
                    users=int(users.get(unit.id, 0)),
                )
            )
            walk(unit.id, depth + 1)

    walk(None, 0)
    return found


def unit_history(*, session: Session, actor: Actor, code: str) -> list[AdminChange]:
    """The administration journal of one unit, newest first."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    return journal.history(session=session, entity=AdminEntity.UNIT, key=code.strip())


ACTION_LABELS = {
    "create": "Thêm đơn vị",
    "rename": "Đổi tên",
    "move": "Chuyển đơn vị cha",
    "deactivate": "Ngừng hoạt động",
    "activate": "Hoạt động lại",
    "merge": "Sáp nhập vào đơn vị khác",
    "merge_into": "Tiếp nhận đơn vị sáp nhập",
}
_FIELD_LABELS = {
    "name": "Tên",
    "short_name": "Tên viết tắt",
    "parent": "Đơn vị cha",
    "active": "Hoạt động",
    "successor": "Đơn vị kế thừa",
    "merged": "Đơn vị sáp nhập",
    "merge_date": "Ngày sáp nhập",
    "moved_tasks": "Nhiệm vụ chuyển",
    "moved_users": "Người dùng chuyển",
    "moved_subunits": "Phòng chuyển",
}


@dataclass(frozen=True)
class UnitChange:
    """One line of a unit's history as "Đơn vị" shows it (plain text; the page shows it as text)."""

    at: datetime
    who: str
    action: str
    change: str
    detail: str


def _shown(value: Any, key: str = "") -> str:
    if key == "moved_tasks" and isinstance(value, list):
        return ", ".join(f"#{v}" for v in value) or "—"
    if key == "merge_date" and isinstance(value, str):
        return fmt_date(date.fromisoformat(value))
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return "—" if value in (None, "") else str(value)


def unit_changes(*, session: Session, actor: Actor, code: str) -> list[UnitChange]:
    """``unit_history`` in words: who did what, and each value before → after."""
    rows = unit_history(session=session, actor=actor, code=code)
    ids = {r.actor_user_id for r in rows if r.actor_user_id is not None}
    names = (
        dict(session.exec(select(col(User.id), col(User.full_name)).where(col(User.id).in_(ids))).all()) if ids else {}
    )
    found: list[UnitChange] = []
    for row in rows:
        before, after = row.before or {}, row.after or {}
        parts = []
        for key, label in _FIELD_LABELS.items():
            if key not in after:
                continue
            if key in before and before[key] != after[key]:
                parts.append(f"{label}: {_shown(before[key], key)} → {_shown(after[key], key)}")
            elif key not in before and row.action != "create":
                parts.append(f"{label}: {_shown(after[key], key)}")
        if row.action == "create":
            parts = [f"{after.get('name', '')} ({after.get('short_name', '')})"]
        who = "manage.py" if row.actor_user_id is None else names.get(row.actor_user_id, f"#{row.actor_user_id}")
        found.append(
            UnitChange(
                at=row.at,
                who=str(who),
                action=ACTION_LABELS.get(row.action, row.action),
                change="; ".join(parts),
                detail=row.detail,
            )
        )
    return found


# --- changes ---------------------------------------------------------------------------------


def add_unit(
    *,
    session: Session,
    actor: Actor,
    code: str,
    name: str,
    short_name: str,
    kind: UnitKind | str,
    parent_code: str | None = None,
) -> OrgUnit:
    """A new unit, active, placed after every other unit of the tree's order.

    A sở/ban/ngành or UBND cấp huyện has no parent; a phòng has one, a sở or a UBND cấp huyện
    (the workflow routes a task one level down, from the lead unit to its phòng)."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    errors: list[FieldError] = []
    code = _collect(errors, _new_code, session, code)
    name = _collect(errors, _name, name)
    short_name = _collect(errors, _short_name, short_name)
    unit_kind = _collect(errors, _kind, kind)
    parent = None
    if unit_kind is not None:
        parent = _collect(errors, _parent_for, session, unit_kind, parent_code, None)
    if errors:
        raise InvalidInput.of(errors)
    last = session.exec(select(func.max(col(OrgUnit.sort_order)))).one()
    unit = OrgUnit(
        code=code,
        name=name,
        short_name=short_name,
        kind=unit_kind,
        parent_id=None if parent is None else parent.id,
        active=True,
        sort_order=int(last or 0) + 1,
    )
    session.add(unit)
    session.flush()
    _record(session, actor, unit, "create")
    _commit(session)
    return unit


def rename_unit(*, session: Session, actor: Actor, code: str, name: str, short_name: str) -> OrgUnit:
    """New full and short names; the code stays (it is the unit's identity everywhere)."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    unit = _unit(session, code)
    errors: list[FieldError] = []
    new_name = _collect(errors, _name, name)
    new_short = _collect(errors, _short_name, short_name)
    if errors:
        raise InvalidInput.of(errors)
    if (new_name, new_short) == (unit.name, unit.short_name):
        raise Conflict("Tên đơn vị không thay đổi: không có gì để lưu.")
    before = _snapshot(session, unit)
    unit.name, unit.short_name = new_name, new_short
    session.add(unit)
    _record(session, actor, unit, "rename", before=before)
    _commit(session)
    return unit


def move_unit(*, session: Session, actor: Actor, code: str, parent_code: str) -> OrgUnit:
    """A phòng under another sở or UBND cấp huyện. Its tasks and users stay with it."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    unit = _unit(session, code)
    assert unit.id is not None
    target = parent_code.strip()
    if not target:
        raise InvalidInput("Đơn vị cha mới: hãy chọn một đơn vị.", field="parent")
    parent = session.exec(select(OrgUnit).where(OrgUnit.code == target)).first()
    if parent is None:
        raise InvalidInput(f"Đơn vị cha mới: không có đơn vị mã “{target}”.", field="parent")
    if parent.id == unit.id or unit.id in _ancestors(session, parent):
        raise InvalidInput(
            f"Đơn vị cha mới: “{parent.short_name}” là chính đơn vị này hoặc đơn vị trực thuộc của nó; "
            "chuyển như vậy tạo thành vòng lặp.",
            field="parent",
        )
    if unit.kind is not UnitKind.SUBUNIT:
        raise InvalidInput(
            f"“{unit.short_name}” là {KIND_LABELS[unit.kind].lower()}, không có đơn vị cha: chỉ chuyển được "
            "phòng, đơn vị trực thuộc.",
            field="parent",
        )
    parent = _parent_for(session, UnitKind.SUBUNIT, target, unit.id)
    assert parent is not None
    if parent.id == unit.parent_id:
        raise Conflict(f"“{unit.short_name}” đã thuộc “{parent.short_name}”: không có gì để lưu.")
    before = _snapshot(session, unit)
    unit.parent_id = parent.id
    session.add(unit)
    _record(session, actor, unit, "move", before=before)
    _commit(session)
    return unit


def set_unit_active(*, session: Session, actor: Actor, code: str, active: bool, config_dir: Path) -> list[str]:
    """Deactivate a unit and its phòng (no new task for them, gone from every picker; their tasks,
    figures and journals stay), or reactivate them. The codes changed.

    VP UBND is never deactivated (nobody would assign or confirm); a phòng is reactivated only
    under an active parent; a unit whose accounts are the last ones able to administer is not
    deactivated (``services.access.administrators``; ``config_dir``: the seed configuration)."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    roles = administrators.lock_roles(session=session, config_dir=config_dir)
    admins_before = administrators.administrators(session=session, roles=roles)
    unit = _unit(session, code)
    if unit.kind is UnitKind.OFFICE and not active:
        raise Conflict("Không ngừng hoạt động Văn phòng UBND tỉnh: đơn vị giao và xác nhận nhiệm vụ.")
    if active and unit.parent_id is not None:
        parent = session.get(OrgUnit, unit.parent_id)
        if parent is not None and not parent.active:
            raise Conflict(
                f"Đơn vị cha “{parent.short_name}” đang ngừng hoạt động: hãy cho đơn vị cha hoạt động lại trước."
            )
    changed = [u for u in [unit, *_descendants(session, unit)] if u.active != active]
    if not changed:
        state = "đang hoạt động" if active else "đã ngừng hoạt động"
        raise Conflict(f"“{unit.short_name}” {state}: không có gì để lưu.")
    for each in changed:
        before = _snapshot(session, each)
        each.active = active
        session.add(each)
        _record(
            session, actor, each, "activate" if active else "deactivate",
            before=before,
            detail="" if each is unit else f"cùng đơn vị cha {unit.code}",
        )
    administrators.keep_one(
        session=session,
        roles=roles,
        before=admins_before,
        refusal=f"Không ngừng hoạt động “{unit.short_name}”: mọi tài khoản còn quyền “Quản trị hệ thống” đều "
        "thuộc đơn vị này (hoặc phòng của nó). Hãy cấp vai trò quản trị cho một tài khoản của đơn vị khác trước.",
    )
    _commit(session)
    return [u.code for u in changed]


def merge_units(
    *,
    session: Session,
    actor: Actor,
    merged: Sequence[str],
    merge_date: date,
    successor_code: str,
    new_name: str | None = None,
    new_short_name: str | None = None,
    new_kind: UnitKind | str | None = None,
    config_dir: Path,
    now: datetime | None = None,
) -> MergeResult:
    """Sáp nhập: ``merged`` (sở or UBND cấp huyện) end on ``merge_date``; ``successor_code`` goes on.

    The successor is an existing active sở/UBND cấp huyện, or, with ``new_name``, a new one
    created here with that code. From ``merge_date`` on:
    * each open task (not confirmed done, not closed) of a merged unit is the successor's, with its
      deadlines, replies, flows and journal, and a journal entry saying so; a ``task_lead_change``
      row records the day, so the statistics count the days before it for the merged unit
      (a report of a period before the merge is the same as before it) and the days from it for
      the successor. Its active flows in the merged unit move with it, where they stand.
    * the merged units' phòng move under the successor, and their users into the successor (the
      people of a merged department work in the new one; their accounts keep roles and logins);
    * the merged units are deactivated. Their done and closed tasks stay theirs, as do old figures;
    * the successor takes a merged unit's own workflow variant (Quy trình) when it has none of its
      own for that workflow and no other merged unit had a different one
      (``workflow_admin.hand_over_variants``: a new configuration version, ``config_dir`` its seed).

    ``merge_date``: not after today (a merge is entered when it has happened), and not before a
    lead change already recorded on a task it moves. A date in the past moves the days since then
    to the successor in reports whose as-of date falls after it."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    now = now or now_utc()
    today = local_date(now)
    errors: list[FieldError] = []
    codes = [c.strip() for c in merged if c.strip()]
    target = successor_code.strip()
    sources: list[OrgUnit] = []
    if not codes:
        errors.append(FieldError("merged", "Đơn vị bị sáp nhập: hãy chọn ít nhất một đơn vị."))
    elif len(set(codes)) != len(codes):
        errors.append(FieldError("merged", "Đơn vị bị sáp nhập: một đơn vị được chọn hai lần."))
    for each in dict.fromkeys(codes):
        unit = session.exec(select(OrgUnit).where(OrgUnit.code == each)).first()
        if unit is None:
            errors.append(FieldError("merged", f"Đơn vị bị sáp nhập: không có đơn vị mã “{each}”."))
        elif unit.kind not in LEAD_KINDS:
            errors.append(
                FieldError(
                    "merged",
                    f"Đơn vị bị sáp nhập: “{unit.short_name}” là {KIND_LABELS[unit.kind].lower()}; chỉ sáp nhập "
                    "sở, ban, ngành hoặc UBND cấp huyện.",
                )
            )
        elif not unit.active:
            errors.append(FieldError("merged", f"Đơn vị bị sáp nhập: “{unit.short_name}” đã ngừng hoạt động."))
        elif each == target:
            errors.append(
                FieldError("successor", f"Đơn vị kế thừa: “{unit.short_name}” cũng là đơn vị bị sáp nhập.")
            )
        else:
            sources.append(unit)
    if merge_date > today:
        errors.append(
            FieldError(
                "merge_date",
                f"Ngày sáp nhập {fmt_date(merge_date)} chưa đến: chỉ ghi nhận việc sáp nhập đã có hiệu lực "
                f"(đến hôm nay {fmt_date(today)}).",
            )
        )
    elif merge_date.year < 2000:
        errors.append(FieldError("merge_date", f"Ngày sáp nhập {fmt_date(merge_date)} không hợp lệ."))
    successor: OrgUnit | None = None
    creating = new_name is not None
    if creating:
        code = _collect(errors, _new_code, session, target, "successor")
        name = _collect(errors, _name, new_name or "")
        short = _collect(errors, _short_name, new_short_name or "")
        kind = _collect(errors, _kind, new_kind or "")
        if kind is not None and kind not in LEAD_KINDS:
            errors.append(FieldError("kind", "Loại đơn vị kế thừa: sở, ban, ngành hoặc UBND cấp huyện."))
    elif not target:
        errors.append(FieldError("successor", "Đơn vị kế thừa: hãy chọn một đơn vị, hoặc tạo đơn vị mới."))
    else:
        successor = session.exec(select(OrgUnit).where(OrgUnit.code == target)).first()
        if successor is None:
            errors.append(FieldError("successor", f"Đơn vị kế thừa: không có đơn vị mã “{target}”."))
        elif successor.kind not in LEAD_KINDS or not successor.active:
            errors.append(
                FieldError(
                    "successor",
                    f"Đơn vị kế thừa: “{successor.short_name}” phải là sở, ban, ngành hoặc UBND cấp huyện "
                    "đang hoạt động.",
                )
            )
    source_ids = [u.id for u in sources if u.id is not None]
    tasks = (
        list(
            session.exec(
                select(Task)
                .where(col(Task.lead_unit_id).in_(source_ids), col(Task.status).in_(OPEN_STATUSES))
                .order_by(col(Task.id))
            ).all()
        )
        if source_ids
        else []
    )
    waiting = _waiting_archives(session, source_ids)
    if (tasks or waiting) and not any(e.field == "merge_date" for e in errors):
        latest = session.exec(
            select(func.max(col(TaskLeadChange.changed_on))).where(
                col(TaskLeadChange.task_id).in_([t.id for t in (*tasks, *waiting)])
            )
        ).one()
        if latest is not None and merge_date < latest:
            errors.append(
                FieldError(
                    "merge_date",
                    f"Ngày sáp nhập {fmt_date(merge_date)} trước ngày {fmt_date(latest)}, ngày một nhiệm vụ của "
                    "đơn vị đã được chuyển đơn vị chủ trì lần trước: hãy chọn từ ngày đó trở đi.",
                )
            )
    if errors:
        raise InvalidInput.of(errors)

    if successor is None:  # a new unit, validated above
        last = session.exec(select(func.max(col(OrgUnit.sort_order)))).one()
        successor = OrgUnit(
            code=code, name=name, short_name=short, kind=kind, active=True, sort_order=int(last or 0) + 1
        )
        session.add(successor)
        session.flush()
        _record(
            session, actor, successor, "create",
            detail="đơn vị kế thừa khi sáp nhập " + ", ".join(u.code for u in sources),
        )
    assert successor.id is not None
    successor_before = _snapshot(session, successor)
    names = {u.id: u for u in sources}
    by_source = {u.id: [t.id for t in tasks if t.lead_unit_id == u.id] for u in sources}
    for task in tasks:
        old = names[task.lead_unit_id]
        assert task.id is not None
        session.add(
            TaskLeadChange(
                task_id=task.id, from_unit_id=task.lead_unit_id, to_unit_id=successor.id, changed_on=merge_date,
                created_at=now,
            )
        )
        for flow in session.exec(
            select(Flow).where(Flow.task_id == task.id, Flow.unit_id == old.id, col(Flow.active).is_(True))
        ).all():
            flow.unit_id = successor.id
            flow.updated_at = now
            session.add(flow)
        task.lead_unit_id = successor.id
        task.version += 1  # a form opened on the task before the merge is stale
        session.add(task)
        record_event(
            session=session,
            actor=actor,
            task=task,
            action=EventAction.REROUTED,
            at=now,
            note=(
                f"Sáp nhập đơn vị: {old.name} sáp nhập vào {successor.name} từ ngày {fmt_date(merge_date)}. "
                f"Nhiệm vụ chuyển {successor.short_name} chủ trì, giữ nguyên hạn xử lý và quá trình xử lý; "
                f"thống kê trước ngày {fmt_date(merge_date)} vẫn tính cho {old.short_name}."
            ),
            from_unit_id=old.id,
            to_unit_id=successor.id,
        )
    coordinations = _move_coordinations(session, actor, sources, successor, now)
    archives = _move_waiting_archives(session, actor, waiting, successor, merge_date, now)
    moved_users: list[str] = []
    moved_subunits: list[str] = []
    for source in sources:
        before = _snapshot(session, source)
        users = list(session.exec(select(User).where(User.unit_id == source.id).order_by(col(User.id))).all())
        for user in users:
            user.unit_id = successor.id
            session.add(user)
        subunits = list(session.exec(select(OrgUnit).where(OrgUnit.parent_id == source.id)).all())
        for sub in subunits:
            sub_before = _snapshot(session, sub)
            sub.parent_id = successor.id
            session.add(sub)
            session.flush()
            _record(
                session, actor, sub, "move",
                before=sub_before,
                detail=f"đơn vị cha {source.code} sáp nhập vào {successor.code}",
            )
        source.active = False
        session.add(source)
        session.flush()
        _record(
            session,
            actor,
            source,
            "merge",
            before=before,
            extra={
                "successor": successor.code,
                "merge_date": merge_date,
                "moved_tasks": by_source[source.id],
                "moved_users": [u.username for u in users],
                "moved_subunits": [s.code for s in subunits],
            },
            detail=f"sáp nhập vào {successor.code} từ ngày {fmt_date(merge_date)}",
        )
        moved_users += [u.username for u in users]
        moved_subunits += [s.code for s in subunits]
    session.flush()
    handover = hand_over_variants(
        session=session, actor=actor, merged=[u.code for u in sources], successor=successor.code,
        config_dir=config_dir, now=now,
    )
    _record(
        session, actor, successor, "merge_into",
        before=successor_before,
        extra={
            "merged": [u.code for u in sources],
            "merge_date": merge_date,
            "coordinating_on": coordinations,
            "archives_waiting": archives,
            "variants": list(handover.taken),
            "variants_left": list(handover.left),
        },
        detail=f"kế thừa {', '.join(u.code for u in sources)} từ ngày {fmt_date(merge_date)}",
    )
    _commit(session)
    return MergeResult(
        successor=successor.code,
        merged=tuple(u.code for u in sources),
        moved_tasks=tuple(t.id for t in tasks if t.id is not None),
        moved_users=tuple(moved_users),
        moved_subunits=tuple(moved_subunits),
        coordinating_on=tuple(coordinations),
        archives_waiting=tuple(archives),
        variants=handover.taken,
        variants_left=handover.left,
    )


def _move_coordinations(
    session: Session, actor: Actor, sources: Sequence[OrgUnit], successor: OrgUnit, now: datetime
) -> list[int]:
    """Phối hợp: where a merged unit coordinates an open task, the successor does now (nothing if it
    leads the task or coordinates it already); each such task's journal says so. Coordinating is
    never counted, so no figure moves. Returns the tasks' ids."""
    assert successor.id is not None
    names = {u.id: u for u in sources}
    links = session.exec(
        select(TaskCoordinator)
        .join(Task, col(Task.id) == col(TaskCoordinator.task_id))
        .where(col(TaskCoordinator.unit_id).in_(list(names)), col(Task.status).in_(OPEN_STATUSES))
        .order_by(col(TaskCoordinator.task_id), col(TaskCoordinator.unit_id))
    ).all()
    touched: list[int] = []
    for link in links:
        task = session.get(Task, link.task_id)
        assert task is not None and task.id is not None
        old = names[link.unit_id]
        session.delete(link)
        session.flush()
        if task.lead_unit_id != successor.id and session.get(TaskCoordinator, (task.id, successor.id)) is None:
            session.add(TaskCoordinator(task_id=task.id, unit_id=successor.id))
            session.flush()
        if task.id not in touched:
            task.version += 1  # a form opened before the merge is stale
            session.add(task)
            touched.append(task.id)
        record_event(
            session=session,
            actor=actor,
            task=task,
            action=EventAction.UPDATED,
            at=now,
            note=(
                f"Sáp nhập đơn vị: đơn vị phối hợp {old.name} sáp nhập vào {successor.name}; "
                + (
                    f"{successor.short_name} là đơn vị chủ trì nhiệm vụ."
                    if task.lead_unit_id == successor.id
                    else f"{successor.short_name} phối hợp thực hiện."
                )
            ),
            from_unit_id=old.id,
            to_unit_id=successor.id,
        )
    return touched


def _waiting_archives(session: Session, source_ids: Sequence[int]) -> list[Task]:
    """Tasks of the merged units taken back as not their remit, still waiting for the unit's clerk
    to lưu kết thúc the assignment document (no ARCHIVED entry yet)."""
    if not source_ids:
        return []
    archived = select(col(TaskEvent.task_id)).where(col(TaskEvent.action) == EventAction.ARCHIVED)
    return list(
        session.exec(
            select(Task)
            .where(
                col(Task.lead_unit_id).in_(source_ids),
                col(Task.status) == TaskStatus.CLOSED,
                col(Task.closed_reason) == CloseReason.WRONG_UNIT,
                col(Task.id).not_in(archived),
            )
            .order_by(col(Task.id))
        ).all()
    )


def _move_waiting_archives(
    session: Session, actor: Actor, tasks: Sequence[Task], successor: OrgUnit, merge_date: date, now: datetime
) -> list[int]:
    """The lưu kết thúc of a merged unit's wrong-unit task is the successor's clerk's (the merged
    unit's register goes to the successor). The task was closed before the merge, so it counts for
    nobody from then on; a ``task_lead_change`` keeps every earlier day with the merged unit.
    Returns the tasks' ids."""
    assert successor.id is not None
    for task in tasks:
        assert task.id is not None
        old_id = task.lead_unit_id
        session.add(
            TaskLeadChange(
                task_id=task.id, from_unit_id=old_id, to_unit_id=successor.id, changed_on=merge_date, created_at=now
            )
        )
        task.lead_unit_id = successor.id
        task.version += 1
        session.add(task)
        old = session.get(OrgUnit, old_id)
        record_event(
            session=session,
            actor=actor,
            task=task,
            action=EventAction.UPDATED,
            at=now,
            note=(
                f"Sáp nhập đơn vị: {old.name if old else ''} sáp nhập vào {successor.name}; văn thư "
                f"{successor.short_name} lưu kết thúc văn bản giao nhiệm vụ này."
            ),
            from_unit_id=old_id,
            to_unit_id=successor.id,
        )
    return [t.id for t in tasks if t.id is not None]


# --- helpers ---------------------------------------------------------------------------------


def _collect(errors: list[FieldError], check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except InvalidInput as refused:
        errors.extend(refused.errors)
        return None


def _new_code(session: Session, value: str, field: str = "code") -> str:
    code = (value or "").strip()
    if not code:
        raise InvalidInput("Mã định danh không được để trống.", field=field)
    if len(code) > CODE_MAX:
        raise InvalidInput(f"Mã định danh dài {len(code)} ký tự, quá {CODE_MAX}. {CODE_HINT}", field=field)
    if not CODE_RULE.fullmatch(code):
        raise InvalidInput(f"Mã định danh “{code}” có ký tự không được phép. {CODE_HINT}", field=field)
    taken = session.exec(select(OrgUnit).where(OrgUnit.code == code)).first()
    if taken is not None:
        raise InvalidInput(f"Mã định danh “{code}” đã được dùng cho “{taken.short_name}”.", field=field)
    return code


def _name(value: str) -> str:
    return clean_text(value, label="Tên đơn vị", field="name", max_len=NAME_MAX, multiline=False)


def _short_name(value: str) -> str:
    return clean_text(value, label="Tên viết tắt", field="short_name", max_len=SHORT_NAME_MAX, multiline=False)


def _kind(value: UnitKind | str) -> UnitKind:
    try:
        kind = UnitKind(value)
    except ValueError:
        raise InvalidInput("Loại đơn vị: hãy chọn một loại.", field="kind") from None
    if kind is UnitKind.OFFICE:
        raise InvalidInput(
            "Loại đơn vị: tỉnh chỉ có một Văn phòng UBND tỉnh, không thêm được đơn vị loại này.", field="kind"
        )
    return kind


def _parent_for(session: Session, kind: UnitKind, parent_code: str | None, unit_id: int | None) -> OrgUnit | None:
    """The parent a unit of ``kind`` may have: none for a top-level unit, an active sở or UBND cấp
    huyện for a phòng."""
    code = (parent_code or "").strip()
    if kind is not UnitKind.SUBUNIT:
        if code:
            raise InvalidInput(
                f"Đơn vị cha: {KIND_LABELS[kind].lower()} không thuộc đơn vị nào; để trống ô này.", field="parent"
            )
        return None
    if not code:
        raise InvalidInput(
            "Đơn vị cha: phòng, đơn vị trực thuộc phải thuộc một sở hoặc UBND cấp huyện.", field="parent"
        )
    parent = session.exec(select(OrgUnit).where(OrgUnit.code == code)).first()
    if parent is None:
        raise InvalidInput(f"Đơn vị cha: không có đơn vị mã “{code}”.", field="parent")
    if parent.kind not in LEAD_KINDS:
        raise InvalidInput(
            f"Đơn vị cha: “{parent.short_name}” là {KIND_LABELS[parent.kind].lower()}; phòng chỉ thuộc sở, ban, "
            "ngành hoặc UBND cấp huyện.",
            field="parent",
        )
    if not parent.active:
        raise InvalidInput(f"Đơn vị cha: “{parent.short_name}” đã ngừng hoạt động.", field="parent")
    return parent


def _unit(session: Session, code: str) -> OrgUnit:
    unit = session.exec(select(OrgUnit).where(OrgUnit.code == (code or "").strip())).first()
    if unit is None:
        raise NotFound(f"Không có đơn vị mã “{code}”.", field="code")
    return unit


def _ancestors(session: Session, unit: OrgUnit) -> set[int]:
    seen: set[int] = set()
    current = unit
    while current.parent_id is not None and current.parent_id not in seen:
        seen.add(current.parent_id)
        parent = session.get(OrgUnit, current.parent_id)
        if parent is None:
            break
        current = parent
    return seen


def _descendants(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    found: list[OrgUnit] = []
    frontier = [unit.id]
    seen = {unit.id}
    while frontier:
        children = list(session.exec(select(OrgUnit).where(col(OrgUnit.parent_id).in_(frontier))).all())
        children = [c for c in children if c.id not in seen]
        seen.update(c.id for c in children)
        found += children
        frontier = [c.id for c in children]
    return found


def _snapshot(session: Session, unit: OrgUnit) -> dict[str, Any]:
    parent = session.get(OrgUnit, unit.parent_id) if unit.parent_id is not None else None
    return {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind,
        "parent": None if parent is None else parent.code,
        "active": unit.active,
    }


def _record(
    session: Session,
    actor: Actor,
    unit: OrgUnit,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    detail: str = "",
) -> None:
    """The unit's journal row: its values before and now (with ``extra`` facts of the change)."""
    journal.record(
        session=session,
        actor=actor,
        entity=AdminEntity.UNIT,
        key=unit.code,
        action=action,
        before=before,
        after={**_snapshot(session, unit), **(extra or {})},
        detail=detail,
    )


def _commit(session: Session) -> None:
    """The change, its journal row and a new data version (Giám sát's cached table names the
    units), committed together."""
    bump_data_version(session=session)
    session.commit()
