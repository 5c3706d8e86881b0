"""Trường tùy chỉnh (custom fields, issue 10): their types, who sees them, and their values.

The definitions are changed on "Trường tùy chỉnh" through ``services.admin.custom_fields``
(create, rename, retire: admin only, journaled). Here:

* the **types** (``kind_labels``): text, long text, number, date, a choice from a list, yes/no,
  a unit, and the types plugins add (``services.plugins``);
* the **fields** a role sees (``visible_fields``; an empty role list: everyone; the admin sees
  all) and those offered in a new form (``form_fields``: not retired);
* the **values**: ``check_values`` validates an assignment's values by type inside
  ``create_assignment`` (every refusal collected with the form's others, naming the field), and
  ``store_values`` writes them in the same transaction, so a document is saved with its values
  or not at all. ``task_values`` / ``values_for_tasks`` read them back for the task page, the
  lists and the API; ``tasks_with_value`` filters by one.

Texts are stored as typed (HTML, Markdown or ``=cmd`` included); pages show them as text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from sqlmodel import Session, col, select

from models import CustomField, CustomValue, FieldTarget, OrgUnit, Permission, Role, Task
from services.access.permissions import Actor
from services.config.loader import AppConfig
from services.infra.bulk import memo
from services.infra.clock import fmt_date
from services.infra.errors import InvalidInput
from services.infra.text import clean_text
from services.infra.validation import FieldErrors, check_date, parse_day
from services.plugins import plugins

TEXT, LONG_TEXT, NUMBER, DATE, CHOICE, YES_NO, UNIT = "text", "long_text", "number", "date", "choice", "yes_no", "unit"
BUILTIN_KINDS: dict[str, str] = {
    TEXT: "Văn bản ngắn",
    LONG_TEXT: "Văn bản dài",
    NUMBER: "Số",
    DATE: "Ngày",
    CHOICE: "Chọn từ danh sách",
    YES_NO: "Có/Không",
    UNIT: "Đơn vị",
}
TARGET_LABELS = {FieldTarget.DOCUMENT: "Văn bản giao", FieldTarget.TASK: "Từng nhiệm vụ"}
YES, NO = "Có", "Không"
_TRUE = {"true", "1", "co", "có", "yes", "x"}
_FALSE = {"false", "0", "khong", "không", "no"}
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d+)?|[.,]\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(\.\d{3}){2,}(,\d+)?|[+-]?\d{1,3}\.\d{3},\d+")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def kind_labels() -> dict[str, str]:
    """Every type a field may have: Giao việc's own, then the plugins' (their label names the plugin)."""
    added = {key: f"{t.label} ({t.plugin})" if t.plugin else t.label for key, t in plugins().field_types.items()}
    return {**BUILTIN_KINDS, **added}


@dataclass(frozen=True)
class FieldDef:
    """One field's definition, as forms and pages read it."""

    field_id: int
    key: str
    label: str
    kind: str
    target: FieldTarget
    required: bool
    help: str
    choices: tuple[str, ...]
    roles: tuple[Role, ...]
    retired: bool

    def seen_by(self, role: Role) -> bool:
        return role is Role.ADMIN or not self.roles or role in self.roles

    @property
    def kind_label(self) -> str:
        return kind_labels().get(self.kind, f"{self.kind} (phần mở rộng chưa cài)")


def definition_of(row: CustomField) -> FieldDef:
    assert row.id is not None
    return FieldDef(
        field_id=row.id,
        key=row.key,
        label=row.label,
        kind=row.kind,
        target=row.target,
        required=row.required,
        help=row.help,
        choices=tuple(row.choices or ()),
        roles=tuple(Role(r) for r in row.roles or () if r in Role._value2member_map_),
        retired=row.retired,
    )


def all_fields(*, session: Session, target: FieldTarget | None = None) -> list[FieldDef]:
    """Every field ever defined (retired ones too), in the form's order."""
    query = select(CustomField).order_by(col(CustomField.sort_order), col(CustomField.id))
    if target is not None:
        query = query.where(CustomField.target == target)
    # a bulk write (the task import) defines no field: read once for all its documents
    return list(memo(session, ("custom_fields", target), lambda: [definition_of(r) for r in session.exec(query).all()]))


def visible_fields(*, session: Session, actor: Actor, target: FieldTarget | None = None) -> list[FieldDef]:
    """The fields the actor's role sees (retired ones too: their values are still shown)."""
    return [f for f in all_fields(session=session, target=target) if f.seen_by(actor.role)]


def form_fields(*, session: Session, actor: Actor, target: FieldTarget) -> list[FieldDef]:
    """The fields a new form offers the actor: seen by the role and not retired."""
    return [f for f in visible_fields(session=session, actor=actor, target=target) if not f.retired]


# --- values -----------------------------------------------------------------------------------


def _empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise ValueError("phải là một số")
    if isinstance(raw, int | float):
        value: int | float = raw
    else:
        typed = str(raw).strip()
        text = typed.replace(" ", "")
        if _GROUPED.fullmatch(text):  # 1.250.000 or 1.250.000,5: dots group the thousands
            text = text.replace(".", "")
        if _NUMBER.fullmatch(text) is None:
            raise ValueError(f"“{typed}” không phải là số (ví dụ 12, 12,5 hoặc 1.250.000)")
        value = float(text.replace(",", "."))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("phải là một số")
        if value.is_integer() and abs(value) < 2**53:
            value = int(value)
    if abs(value) >= 10**15:
        raise ValueError("quá lớn")
    return value


def _day(raw: Any, *, label: str, field: str, config: AppConfig, today: date) -> str:
    if isinstance(raw, date):
        day = raw
    else:
        text = str(raw).strip()
        if _ISO_DAY.fullmatch(text):
            try:
                day = date.fromisoformat(text)
            except ValueError:
                raise InvalidInput(f"{label}: “{text}” không phải là ngày có thật.", field=field) from None
        else:
            parsed = parse_day(text, label=label, field=field)
            assert parsed is not None  # not empty: checked before
            day = parsed
    return check_date(day, label=label, field=field, today=today, limits=config.app).isoformat()


def _yes_no(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"chỉ nhận “{YES}” hoặc “{NO}”")


def check_value(
    definition: FieldDef, raw: Any, *, session: Session, config: AppConfig, today: date, label: str, field: str
) -> Any:
    """The value to store for one field (None: nothing to store), or InvalidInput naming it."""
    if _empty(raw):
        if definition.required:
            raise InvalidInput(f"{label} không được để trống.", field=field)
        return None
    kind = definition.kind
    try:
        if kind in (TEXT, LONG_TEXT):
            if not isinstance(raw, str):
                raise ValueError("phải là chữ")
            long = kind == LONG_TEXT
            return clean_text(raw, label=label, field=field, max_len=4000 if long else 500, multiline=long)
        if kind == NUMBER:
            return _number(raw)
        if kind == DATE:
            return _day(raw, label=label, field=field, config=config, today=today)
        if kind == CHOICE:
            text = clean_text(str(raw), label=label, field=field, max_len=200, multiline=False)
            if text not in definition.choices:
                raise ValueError(f"“{text}” không có trong danh sách ({'; '.join(definition.choices)})")
            return text
        if kind == YES_NO:
            return _yes_no(raw)
        if kind == UNIT:
            code = str(raw).strip().upper()
            unit = session.exec(select(OrgUnit).where(OrgUnit.code == code)).first()
            if unit is None or not unit.active:
                raise ValueError(f"không có đơn vị mã “{code}”")
            return unit.code
        plugin_type = plugins().field_types.get(kind)
        if plugin_type is None:
            raise ValueError(f"kiểu “{kind}” chưa được cài (phần mở rộng)")
        return plugin_type.parse(clean_text(str(raw), label=label, field=field, max_len=500, multiline=False))
    except ValueError as exc:
        raise InvalidInput(f"{label}: {exc}.", field=field) from None


def _check_group(
    values: Mapping[str, Any],
    fields: Sequence[FieldDef],
    *,
    session: Session,
    config: AppConfig,
    today: date,
    errors: FieldErrors,
    prefix: str,
    where: str,
) -> dict[int, Any]:
    """One document's or one task's values: every field offered checked, unknown keys refused."""
    by_key = {f.key: f for f in fields}
    for key in values:
        if key not in by_key:
            errors.add(f"{where}không có trường tùy chỉnh “{key}” (hoặc trường đã ngừng dùng).", field=f"{prefix}{key}")
    checked: dict[int, Any] = {}
    for definition in fields:
        label = f"{where}{definition.label}"
        judged = partial(
            check_value,
            definition,
            values.get(definition.key),
            session=session,
            config=config,
            today=today,
            label=label,
            field=f"{prefix}{definition.key}",
        )
        value = errors.take(judged, None)
        if value is not None:
            checked[definition.field_id] = value
    return checked


@dataclass(frozen=True)
class CheckedValues:
    """An assignment's values, checked: the document's, then each task's, by field id."""

    document: dict[int, Any]
    tasks: list[dict[int, Any]]


def check_values(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    today: date,
    document: Mapping[str, Any],
    tasks: Sequence[Mapping[str, Any]],
    errors: FieldErrors,
) -> CheckedValues:
    """Validate an assignment's custom values (``AssignmentCreate.custom`` and each task's): each
    refusal goes to ``errors`` (fields ``custom.<key>`` and ``tasks.N.custom.<key>``)."""
    doc_fields = form_fields(session=session, actor=actor, target=FieldTarget.DOCUMENT)
    task_fields = form_fields(session=session, actor=actor, target=FieldTarget.TASK)
    common = {"session": session, "config": config, "today": today, "errors": errors}
    return CheckedValues(
        document=_check_group(document, doc_fields, prefix="custom.", where="", **common),  # type: ignore[arg-type]
        tasks=[
            _check_group(values, task_fields, prefix=f"tasks.{n}.custom.", where=f"Nhiệm vụ {n} — ", **common)  # type: ignore[arg-type]
            for n, values in enumerate(tasks, start=1)
        ],
    )


def store_values(*, session: Session, checked: CheckedValues, document_id: int, task_ids: Sequence[int]) -> None:
    """Add the checked values to the caller's transaction (``create_assignment`` commits)."""
    for field_id, value in checked.document.items():
        session.add(CustomValue(field_id=field_id, document_id=document_id, value=value))
    for task_id, values in zip(task_ids, checked.tasks, strict=True):
        for field_id, value in values.items():
            session.add(CustomValue(field_id=field_id, task_id=task_id, value=value))


# --- reading ----------------------------------------------------------------------------------


def display(definition: FieldDef, value: Any, *, unit_names: Mapping[str, str] | None = None) -> str:
    """A stored value as a person reads it (dates dd/mm/yyyy, Có/Không, a unit by its name)."""
    if value is None:
        return ""
    if definition.kind == YES_NO:
        return YES if value else NO
    if definition.kind == DATE:
        try:
            return fmt_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if definition.kind == NUMBER and isinstance(value, int | float) and not isinstance(value, bool):
        whole, _, decimals = f"{value:,.6f}".rstrip("0").rstrip(".").partition(".")
        return whole.replace(",", ".") + (f",{decimals}" if decimals else "")  # 1.250.000,5 as written in Vietnam
    if definition.kind == UNIT:
        return (unit_names or {}).get(str(value), str(value))
    plugin_type = plugins().field_types.get(definition.kind)
    if plugin_type is not None:
        try:
            return plugin_type.display(value)
        except Exception:  # a plugin's display must never break a page
            return str(value)
    return str(value)


def _unit_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.exec(select(OrgUnit.code, OrgUnit.short_name)).all()}


@dataclass(frozen=True)
class ShownValue:
    """One value on the task page or in the API."""

    key: str
    label: str
    target: FieldTarget
    kind: str
    value: Any  # as stored (JSON)
    text: str  # as shown
    retired: bool


def task_values(*, session: Session, actor: Actor, task_id: int, document_id: int) -> list[ShownValue]:
    """The values of a task and of its document the actor's role sees (the document's first)."""
    fields = {f.field_id: f for f in visible_fields(session=session, actor=actor)}
    if not fields:
        return []
    rows = session.exec(
        select(CustomValue).where(
            (col(CustomValue.task_id) == task_id) | (col(CustomValue.document_id) == document_id)
        )
    ).all()
    names = _unit_names(session)
    order = list(fields)
    shown = [(fields[r.field_id], r.value) for r in rows if r.field_id in fields]
    shown.sort(key=lambda pair: (pair[0].target is FieldTarget.TASK, order.index(pair[0].field_id)))
    return [
        ShownValue(d.key, d.label, d.target, d.kind, v, display(d, v, unit_names=names), d.retired) for d, v in shown
    ]


def values_for_tasks(
    *, session: Session, actor: Actor, task_ids: Iterable[int], fields: Sequence[FieldDef]
) -> dict[int, dict[str, str]]:
    """For the lists' optional columns: task id -> field key -> the value as shown (a document's
    field gives each of its tasks the document's value)."""
    ids = list(task_ids)
    wanted = {f.field_id: f for f in fields if f.seen_by(actor.role)}
    if not ids or not wanted:
        return {}
    documents = dict(session.exec(select(Task.id, Task.document_id).where(col(Task.id).in_(ids))).all())
    rows = session.exec(
        select(CustomValue).where(
            col(CustomValue.field_id).in_(list(wanted)),
            col(CustomValue.task_id).in_(ids) | col(CustomValue.document_id).in_(set(documents.values())),
        )
    ).all()
    names = _unit_names(session)
    by_task: dict[int, dict[str, str]] = {}
    by_document: dict[int, dict[str, str]] = {}
    for r in rows:
        definition = wanted[r.field_id]
        text = display(definition, r.value, unit_names=names)
        if r.task_id is not None:
            by_task.setdefault(r.task_id, {})[definition.key] = text
        elif r.document_id is not None:
            by_document.setdefault(r.document_id, {})[definition.key] = text
    return {
        task_id: {**by_document.get(documents.get(task_id, -1), {}), **by_task.get(task_id, {})}
        for task_id in ids
    }


def filter_fields(*, session: Session, actor: Actor) -> list[FieldDef]:
    """The fields a list can be filtered by: a choice or yes/no the role sees (retired ones too)."""
    return [f for f in visible_fields(session=session, actor=actor) if f.kind in (CHOICE, YES_NO)]


def tasks_with_value(*, session: Session, actor: Actor, key: str, value: Any) -> set[int]:
    """The ids of the tasks whose field ``key`` (on the task or on its document) holds ``value``
    (a choice's text; yes/no as true/false, "có"/"không"). Unknown or unseen field: InvalidInput."""
    definition = next((f for f in filter_fields(session=session, actor=actor) if f.key == key), None)
    if definition is None:
        raise InvalidInput(
            f"Không lọc được theo trường “{key}”: chỉ lọc theo trường chọn từ danh sách hoặc có/không.",
            field="custom_field",
        )
    wanted: Any
    if definition.kind == YES_NO:
        try:
            wanted = _yes_no(value)
        except ValueError as exc:
            raise InvalidInput(f"{definition.label}: {exc}.", field="custom_value") from None
    else:
        wanted = str(value).strip()
        if wanted not in definition.choices:
            raise InvalidInput(f"{definition.label}: “{wanted}” không có trong danh sách.", field="custom_value")
    rows = session.exec(select(CustomValue).where(CustomValue.field_id == definition.field_id)).all()
    task_ids = {r.task_id for r in rows if r.task_id is not None and r.value == wanted}
    documents = {r.document_id for r in rows if r.document_id is not None and r.value == wanted}
    if documents:
        task_ids |= {
            i for i in session.exec(select(Task.id).where(col(Task.document_id).in_(documents))).all() if i is not None
        }
    return task_ids


def can_define(actor: Actor) -> bool:
    return actor.can(Permission.ADMIN)
