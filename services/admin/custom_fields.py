"""Trường tùy chỉnh: the admin defines, renames and retires custom fields (issue 10).

Each change is one call: it checks ``Permission.ADMIN``, validates every input field at once,
writes the definition and one row of the administration journal (``journal.record``, entity
``custom_field``, key the field's key, the values before and after) and commits; a refusal
changes nothing. A field is never deleted: ``retire_field`` stops offering it in new forms and
its values stay shown; ``restore_field`` offers it again. Renaming changes the label only: the
values belong to the field, so they stay.

(The types, the values and who sees them are ``services.custom_fields``; these three live here,
beside the other admin services, because ``services.admin`` already builds on ``services.tasks``,
which stores the values: the reverse import would close a circle.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

from sqlmodel import Session, func, select

from models import AdminEntity, CustomField, FieldTarget, Permission, Role
from services.access.permissions import Actor, require
from services.admin import journal
from services.custom_fields import CHOICE, FieldDef, definition_of, kind_labels
from services.infra.clock import now_utc
from services.infra.errors import InvalidInput, NotFound
from services.infra.text import clean_text
from services.infra.validation import FieldErrors

ADMIN_ONLY = "Chỉ quản trị hệ thống quản lý được trường tùy chỉnh."
KEY_RULE = re.compile(r"[a-z][a-z0-9_]{0,39}")
KEY_HINT = "Mã trường: 1 đến 40 ký tự a-z, 0-9 và dấu gạch dưới, bắt đầu bằng chữ, ví dụ so_hop_dong."
LABEL_MAX = 120
MAX_CHOICES = 50


def _field(session: Session, key: str) -> CustomField:
    row = session.exec(select(CustomField).where(CustomField.key == key)).first()
    if row is None:
        raise NotFound(f"Không có trường tùy chỉnh “{key}”.")
    return row


def _label(label: str, errors: FieldErrors) -> str:
    return errors.take(
        lambda: clean_text(label, label="Tên hiển thị", field="label", max_len=LABEL_MAX, multiline=False), ""
    )


def _help(text: str, errors: FieldErrors) -> str:
    return errors.take(
        lambda: clean_text(text, label="Hướng dẫn", field="help", required=False, max_len=500, multiline=False), ""
    )


def _choices(raw: Sequence[str], errors: FieldErrors) -> list[str]:
    found: list[str] = []
    for line in raw:
        check = partial(
            clean_text, line, label="Lựa chọn", field="choices", required=False, max_len=200, multiline=False
        )
        text = errors.take(check, "")
        if text and text not in found:
            found.append(text)
    if not found:
        errors.add("Danh sách lựa chọn không được để trống (mỗi dòng một lựa chọn).", field="choices")
    elif len(found) > MAX_CHOICES:
        errors.add(f"Danh sách lựa chọn có tối đa {MAX_CHOICES} lựa chọn.", field="choices")
    return found


def _roles(raw: Sequence[str], errors: FieldErrors) -> list[str]:
    known = {r.value for r in Role}
    unknown = [r for r in raw if r not in known]
    if unknown:
        errors.add(f"Vai trò không có: {', '.join(unknown)}.", field="roles")
    roles = [r.value for r in Role if r.value in raw]
    if not roles:
        errors.add("Chọn ít nhất một vai trò được xem trường này.", field="roles")
    return roles


def create_field(
    *,
    session: Session,
    actor: Actor,
    key: str,
    label: str,
    kind: str,
    target: FieldTarget | str,
    required: bool = False,
    help: str = "",
    choices: Sequence[str] = (),
    roles: Sequence[str] = (),
) -> FieldDef:
    """A new field, offered from now on in Giao nhiệm vụ (the document once, or each task)."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    errors = FieldErrors()
    key = key.strip()
    if KEY_RULE.fullmatch(key) is None:
        errors.add(f"Mã trường “{key}” không hợp lệ. {KEY_HINT}", field="key")
    elif session.exec(select(CustomField.id).where(CustomField.key == key)).first() is not None:
        errors.add(f"Mã trường “{key}” đã có (kể cả trường đã ngừng dùng).", field="key")
    clean_label = _label(label, errors)
    types = kind_labels()
    if kind not in types:
        errors.add(f"Kiểu dữ liệu “{kind}” không có.", field="kind")
    try:
        where = FieldTarget(target)
    except ValueError:
        errors.add("Chọn trường thuộc văn bản giao hay từng nhiệm vụ.", field="target")
        where = FieldTarget.TASK
    clean_help = _help(help, errors)
    clean_choices = _choices(choices, errors) if kind == CHOICE else []
    clean_roles = _roles(roles, errors)
    errors.raise_any()
    order = session.exec(select(func.max(CustomField.sort_order))).one() or 0
    row = CustomField(
        key=key,
        label=clean_label,
        kind=kind,
        target=where,
        required=required,
        help=clean_help,
        choices=clean_choices,
        roles=clean_roles,
        sort_order=order + 1,
        created_at=now_utc(),
    )
    session.add(row)
    session.flush()
    after = {
        "label": clean_label,
        "kind": kind,
        "target": where,
        "required": required,
        "help": clean_help,
        "choices": clean_choices,
        "roles": clean_roles,
    }
    journal.record(session=session, actor=actor, entity=AdminEntity.CUSTOM_FIELD, key=key, action="create", after=after)
    session.commit()
    return definition_of(row)


def rename_field(*, session: Session, actor: Actor, key: str, label: str, help: str | None = None) -> FieldDef:
    """A new label (and help text): the key, the type and every value stay."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    row = _field(session, key)
    errors = FieldErrors()
    clean_label = _label(label, errors)
    clean_help = row.help if help is None else _help(help, errors)
    errors.raise_any()
    before = {"label": row.label, "help": row.help}
    after = {"label": clean_label, "help": clean_help}
    if before == after:
        raise InvalidInput("Tên hiển thị và hướng dẫn không thay đổi.", field="label")
    row.label, row.help = clean_label, clean_help
    session.add(row)
    changed = {k: v for k, v in before.items() if after[k] != v}
    journal.record(
        session=session,
        actor=actor,
        entity=AdminEntity.CUSTOM_FIELD,
        key=key,
        action="rename",
        before=changed,
        after={k: after[k] for k in changed},
    )
    session.commit()
    return definition_of(row)


def _set_retired(session: Session, actor: Actor, key: str, retired: bool) -> FieldDef:
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    row = _field(session, key)
    if row.retired == retired:
        state = "đã ngừng dùng" if retired else "đang dùng"
        raise InvalidInput(f"Trường “{row.label}” {state} rồi.", field="key")
    row.retired = retired
    session.add(row)
    journal.record(
        session=session,
        actor=actor,
        entity=AdminEntity.CUSTOM_FIELD,
        key=key,
        action="retire" if retired else "restore",
        before={"retired": not retired},
        after={"retired": retired},
    )
    session.commit()
    return definition_of(row)


def retire_field(*, session: Session, actor: Actor, key: str) -> FieldDef:
    """No longer offered in new forms; its values stay and are still shown."""
    return _set_retired(session, actor, key, True)


def restore_field(*, session: Session, actor: Actor, key: str) -> FieldDef:
    """Offered again in new forms."""
    return _set_retired(session, actor, key, False)
