"""Danh mục và tham số: an admin changes the configuration through forms, restores a version,
imports YAML files; each change is a new configuration version (``services.config.store``).

One call per change: check ``Permission.ADMIN``, validate with the same pydantic models and
rules as ``config/*.yaml`` (``AppSettingsConfig``, then ``load_config`` on the whole set), write
the version, write the administration journal row (the changed keys only, before and after), and
commit; or refuse with a Vietnamese message naming the field (and the file and line for YAML)
and change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import holidays
import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from models import AdminEntity, ConfigVersion, Document, DocumentKind, Permission, TaskClass, TaskStatus, User
from services.access import administrators
from services.access.permissions import Actor, require
from services.admin.journal import record
from services.config import store
from services.config.errors import ConfigError
from services.config.loader import AppConfig, AppSettingsConfig, RolesConfig
from services.infra.clock import fmt_date
from services.infra.errors import Conflict, FieldError, InvalidInput, NotFound
from services.infra.validation import FieldErrors, _reason  # pydantic's error types in Vietnamese
from services.tasks.assignment import working_day_deadline

ADMIN_ONLY = "Chỉ quản trị hệ thống được thay đổi cấu hình."

# The form's fields (app.yaml keys) and how the form names them
LABELS: dict[str, str] = {
    "issuers": "Cơ quan ban hành",
    "document_types": "Loại văn bản",
    "task_classes": "Nhóm thống kê (nhãn, màu)",
    "task_statuses": "Trạng thái nhiệm vụ",
    "due_soon_days": "Số ngày “sắp đến hạn”",
    "reply_backdate_limit_days": "Số ngày được ghi lùi ngày văn bản trả lời",
    "monitor_chart_units": "Số đơn vị trên biểu đồ Giám sát",
    "ranking_min_tasks": "Số nhiệm vụ tối thiểu để được xếp hạng",
    "earliest_year": "Năm sớm nhất được nhập",
    "years_ahead": "Số năm tới được nhập",
    "extra_days_off": "Ngày nghỉ bù",
    "extra_working_days": "Ngày làm việc bù",
    "extension_requests": "Xin gia hạn",
}
PARAMETERS: tuple[str, ...] = (
    "due_soon_days",
    "reply_backdate_limit_days",
    "monitor_chart_units",
    "ranking_min_tasks",
    "earliest_year",
    "years_ahead",
)
KEY_MAX = 40
# Xin gia hạn: the limits of the ``extension_requests`` section, edited beside the parameters
EXTENSION_LIMITS: dict[str, str] = {
    "max_per_task": "Số lần xin gia hạn tối đa mỗi nhiệm vụ",
    "max_days": "Số ngày tối đa được xin thêm sau hạn đang áp dụng",
    "allow_after_deadline": "Cho xin gia hạn khi nhiệm vụ đã quá hạn",
}


@dataclass(frozen=True)
class CalendarYear:
    """One year's announced swaps: extra days off and extra working days (nghỉ bù, làm bù)."""

    year: int
    days_off: tuple[date, ...] = ()
    working_days: tuple[date, ...] = ()


@dataclass(frozen=True)
class SettingsEdit:
    """What the "Danh mục và tham số" forms send; a part left None is not changed.

    Catalogues are rows of (key, label) as typed, so a key typed twice is refused, not merged."""

    issuers: Sequence[tuple[str, str]] | None = None
    document_types: Sequence[tuple[str, str]] | None = None
    task_classes: Mapping[str, tuple[str, str]] | None = None  # class -> (label, colour)
    task_statuses: Mapping[str, str] | None = None
    parameters: Mapping[str, int] | None = None  # keys of PARAMETERS
    extension_requests: Mapping[str, int | bool] | None = None  # keys of EXTENSION_LIMITS
    calendar: CalendarYear | None = None


def _catalogue(
    rows: Sequence[tuple[str, str]], *, field: str, in_use: set[str], errors: FieldErrors
) -> dict[str, str]:
    label = LABELS[field]
    result: dict[str, str] = {}
    for number, (raw_key, raw_label) in enumerate(rows, start=1):
        key, text = raw_key.strip(), raw_label.strip()
        if not key and not text:
            continue  # an empty row of the table
        if not key:
            errors.add(f"{label}, dòng {number} (“{text}”): thiếu mã.", field=field)
            continue
        if len(key) > KEY_MAX or not all(c.isascii() and (c.isalnum() or c == "_") for c in key):
            errors.add(
                f"{label}, dòng {number}: mã “{key}” chỉ gồm chữ không dấu, số và dấu gạch dưới (tối đa {KEY_MAX}).",
                field=field,
            )
            continue
        if not text:
            errors.add(f"{label}, dòng {number} (mã {key}): nhãn không được để trống.", field=field)
            continue
        if key in result:
            errors.add(f"{label}, dòng {number}: mã “{key}” bị trùng với một dòng ở trên.", field=field)
            continue
        result[key] = text
    if not result and not errors.errors:
        errors.add(f"{label}: phải có ít nhất một mục.", field=field)
    removed = sorted(in_use - set(result))
    if removed:
        errors.add(
            f"{label}: không xóa được mã {', '.join(removed)} vì đã có văn bản dùng (có thể đổi nhãn).", field=field
        )
    return result


def _used(session: Session, column: Any) -> set[str]:
    """The keys the assignment documents use (a reply's issuer is its unit's code, not a key)."""
    query = select(column).distinct().where(col(Document.kind) == DocumentKind.ASSIGNMENT)
    return {str(value) for value in session.execute(query).scalars() if value}


def _calendar(data: dict[str, Any], calendar: CalendarYear, errors: FieldErrors) -> None:
    year = calendar.year
    for field, days in (("extra_days_off", calendar.days_off), ("extra_working_days", calendar.working_days)):
        outside = [d for d in days if d.year != year]
        if outside:
            errors.add(
                f"{LABELS[field]}: {', '.join(fmt_date(d) for d in outside)} không thuộc năm {year}.", field=field
            )
    both = sorted(set(calendar.days_off) & set(calendar.working_days))
    if both:
        errors.add(
            f"Ngày {', '.join(fmt_date(d) for d in both)} vừa là ngày nghỉ bù vừa là ngày làm việc bù.",
            field="extra_working_days",
        )
    for field, days in (("extra_days_off", calendar.days_off), ("extra_working_days", calendar.working_days)):
        kept = [d for d in _dates(data.get(field)) if d.year != year]
        data[field] = sorted({*kept, *days})


def _dates(value: Any) -> list[date]:
    if not isinstance(value, list):
        return []
    return [d for d in value if isinstance(d, date) and not isinstance(d, datetime)]


def _pydantic_errors(exc: ValidationError, data: Mapping[str, Any]) -> list[FieldError]:
    found: list[FieldError] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        field = str(loc[0]) if loc else "config"
        where = LABELS.get(field, field)
        if field == "extension_requests" and len(loc) >= 2:  # each limit under its own input
            where = EXTENSION_LIMITS.get(str(loc[1]), str(loc[1]))
            field = f"extension_requests.{loc[1]}"
        elif field == "task_classes" and len(loc) >= 2:
            style = data.get("task_classes", {}).get(loc[1], {})
            name = style.get("label") or loc[1] if isinstance(style, dict) else loc[1]
            part = {"label": "nhãn", "color": "màu"}.get(str(loc[2]), str(loc[2])) if len(loc) > 2 else ""
            where = f"{where} — “{name}”" + (f" — {part}" if part else "")
        elif len(loc) >= 2:
            where = f"{where} — {'.'.join(str(p) for p in loc[1:])}"
        value = error.get("input")
        shown = f" “{value}”" if isinstance(value, str | int) and not isinstance(value, bool) else ""
        if error["type"] == "string_pattern_mismatch":
            reason = "phải là mã màu dạng #rrggbb, ví dụ #2e7d32"
        elif error["type"] == "string_too_short":
            reason = "không được để trống"
        elif error["type"] == "value_error":
            reason = str(error.get("ctx", {}).get("error", error["msg"]))
        else:
            reason = _reason(str(error["type"]), error.get("ctx") or {})
        found.append(FieldError(field, f"{where}:{shown} {reason}."))
    return found


def _yaml_of(files: Mapping[str, str], name: str, section: str | None = None) -> dict[str, Any]:
    """One file of the version in force, parsed for a form to edit (``section``: a mapping the file
    must hold); an unreadable one is refused with the file's name, nothing saved."""
    data = yaml.safe_load(files[name])
    if not isinstance(data, dict) or (section is not None and not isinstance(data.get(section), dict)):
        raise InvalidInput(f"{name} của phiên bản đang dùng không đọc được.", field="config")
    return data


def _current(session: Session, config_dir: Path, based_on: int | None) -> tuple[int, dict[str, str]]:
    """The version in force and its files, read under the writers' lock (held until the caller
    commits); ``based_on``: the version the form was drawn from, refused when another is in force."""
    store.lock_for_write(session)
    version, files = store.current_files(session=session, config_dir=config_dir)
    if based_on is not None and version != based_on:
        raise Conflict(
            f"Cấu hình vừa được thay đổi (phiên bản {version}) sau khi trang này được mở. "
            "Tải lại trang để xem cấu hình mới nhất rồi sửa lại."
        )
    return version, files


def _keep_administration(session: Session, actor: Actor, roles: RolesConfig) -> None:
    """Whatever the change (the roles' form, a restored or imported version), somebody can still
    administer afterwards, and the admin saving it is one of them (he could not come back to undo
    it otherwise). Counted under the writers' lock ``_current`` took."""
    left = administrators.administrators(session=session, roles=roles)
    if not left:
        raise InvalidInput(
            "Không lưu: với cấu hình này không còn tài khoản đang hoạt động nào có quyền “Quản trị hệ thống”, "
            "nên không ai vào được các trang Quản trị nữa.",
            field="config",
        )
    if actor.username not in left:
        raise InvalidInput(
            "Không lưu: với cấu hình này chính bạn mất quyền “Quản trị hệ thống” và sẽ không vào lại được "
            "trang này. Hãy để một tài khoản quản trị khác làm việc này.",
            field="config",
        )


def _write(
    *,
    session: Session,
    actor: Actor,
    old: Mapping[str, str],
    new: Mapping[str, str],
    action: str,
    config_dir: Path,
    note: str,
    restored_from: int | None = None,
    now: datetime | None = None,
    entity: AdminEntity = AdminEntity.CONFIG,
    entity_key: str | None = None,
    commit: bool = True,
) -> ConfigVersion:
    """Validate, store the version, journal it (``entity``, ``entity_key``: what the journal row
    is about; by default the configuration and the version number), commit (``commit`` False: the
    caller commits, with a change of its own such as a merge of units)."""
    before, after = store.changed_keys(old, new)
    if not before and not after and all(old[name] == new[name] for name in store.VERSIONED):
        raise InvalidInput("Không có thay đổi nào so với cấu hình đang dùng: không lưu phiên bản mới.", field="config")
    try:
        validated = store.validate_files(new, config_dir=config_dir, unit_codes=store.unit_codes(session))
    except ConfigError as exc:
        raise InvalidInput(str(exc), field="config") from exc
    _keep_administration(session, actor, validated.roles)
    row = store.add_version(
        session=session,
        files=new,
        author_user_id=actor.user_id,
        action=action,
        note=note.strip(),
        restored_from=restored_from,
        config_dir=config_dir,
        now=now,
    )
    record(
        session=session,
        actor=actor,
        entity=entity,
        key=str(row.id) if entity_key is None else entity_key,
        action=action,
        before=before,
        after=after,
        detail=note.strip(),
    )
    if commit:
        session.commit()
    return row


def save_settings(
    *,
    session: Session,
    actor: Actor,
    edit: SettingsEdit,
    based_on: int | None,
    config_dir: Path,
    note: str = "",
    now: datetime | None = None,
) -> ConfigVersion:
    """Save the form's changes as a new version; ``based_on``: the version the form was drawn
    from (another admin's save in between is refused, not overwritten)."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    _, files = _current(session, config_dir, based_on)
    data = _yaml_of(files, "app.yaml")
    errors = FieldErrors()
    if edit.issuers is not None:
        data["issuers"] = _catalogue(
            edit.issuers, field="issuers", in_use=_used(session, col(Document.issuer)), errors=errors
        )
    if edit.document_types is not None:
        data["document_types"] = _catalogue(
            edit.document_types, field="document_types", in_use=_used(session, col(Document.doc_type)), errors=errors
        )
    if edit.task_classes is not None:
        classes = dict(data.get("task_classes") or {})
        for key, (label, color) in edit.task_classes.items():
            if key not in {c.value for c in TaskClass}:
                errors.add(f"{LABELS['task_classes']}: không có nhóm “{key}”.", field="task_classes")
                continue
            classes[key] = {"label": label.strip(), "color": color.strip()}
        data["task_classes"] = classes
    if edit.task_statuses is not None:
        statuses = dict(data.get("task_statuses") or {})
        for key, label in edit.task_statuses.items():
            if key not in {s.value for s in TaskStatus}:
                errors.add(f"{LABELS['task_statuses']}: không có trạng thái “{key}”.", field="task_statuses")
                continue
            if not label.strip():  # the model takes any text: an empty label would show nothing
                errors.add(f"{LABELS['task_statuses']} — {key}: nhãn không được để trống.", field="task_statuses")
                continue
            statuses[key] = label.strip()
        data["task_statuses"] = statuses
    for key, value in (edit.parameters or {}).items():
        if key not in PARAMETERS:
            errors.add(f"Không có tham số “{key}”.", field="parameters")
            continue
        data[key] = value
    if edit.extension_requests is not None:
        limits = dict(data.get("extension_requests") or {})
        for key, value in edit.extension_requests.items():
            if key not in EXTENSION_LIMITS:
                errors.add(f"Không có giới hạn xin gia hạn “{key}”.", field="extension_requests")
                continue
            limits[key] = value
        data["extension_requests"] = limits
    if edit.calendar is not None:
        _calendar(data, edit.calendar, errors)
    try:
        AppSettingsConfig.model_validate(data)  # the same model as config/app.yaml
    except ValidationError as exc:
        errors.errors.extend(_pydantic_errors(exc, data))
    errors.raise_any()
    new = {**files, "app.yaml": store.dump_yaml(data)}
    return _write(
        session=session, actor=actor, old=files, new=new, action="save", config_dir=config_dir, note=note, now=now
    )


def restore_version(
    *, session: Session, actor: Actor, version_id: int, config_dir: Path, note: str = "", now: datetime | None = None
) -> ConfigVersion:
    """A new version with the files of version ``version_id`` (the history keeps both)."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    row = store.get_version(session=session, version_id=version_id)
    if row is None:
        raise NotFound(f"Không có phiên bản cấu hình số {version_id}.")
    _, files = _current(session, config_dir, None)
    return _write(
        session=session,
        actor=actor,
        old=files,
        new=dict(row.files),
        action="restore",
        config_dir=config_dir,
        note=note or f"Khôi phục phiên bản {version_id}",
        restored_from=version_id,
        now=now,
    )


def import_config(
    *,
    session: Session,
    actor: Actor,
    uploads: Sequence[tuple[str, bytes]],
    config_dir: Path,
    note: str = "",
    now: datetime | None = None,
) -> ConfigVersion:
    """A new version from uploaded YAML (a zip from "Xuất cấu hình", or the files themselves; a
    file not given stays as it is). Everything is validated before anything changes."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    try:
        given, ignored = store.read_import(uploads)
    except ConfigError as exc:
        raise InvalidInput(str(exc), field="upload") from exc
    _, files = _current(session, config_dir, None)
    new = {**files, **given}
    try:
        store.validate_files(new, config_dir=config_dir, unit_codes=store.unit_codes(session))
    except ConfigError as exc:
        raise InvalidInput(str(exc), field="upload") from exc
    left = f" ({', '.join(ignored)} không nhập: đơn vị quản lý riêng)" if ignored else ""
    return _write(
        session=session,
        actor=actor,
        old=files,
        new=new,
        action="import",
        config_dir=config_dir,
        note=(note or f"Nhập {', '.join(sorted(given))}") + left,
        now=now,
    )


def export_config(*, actor: Actor, session: Session, config_dir: Path, version_id: int | None = None) -> bytes:
    """"Xuất cấu hình": the version in force (or ``version_id``) as a zipped ``config/`` folder."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    if version_id is None:
        _, files = store.current_files(session=session, config_dir=config_dir)
    else:
        row = store.get_version(session=session, version_id=version_id)
        if row is None:
            raise NotFound(f"Không có phiên bản cấu hình số {version_id}.")
        files = dict(row.files)
    return store.export_zip(files, config_dir=config_dir)


def deadline_preview(
    *, config: AppConfig, start: date, working_days: int, calendar: CalendarYear | None = None
) -> date:
    """The deadline "N ngày làm việc" gives from ``start``, as Giao nhiệm vụ computes it
    (``working_day_deadline``), with ``calendar``'s year as typed in the form (not yet saved)."""
    if working_days < 1 or working_days > 365:
        raise InvalidInput("Số ngày làm việc phải từ 1 đến 365.", field="preview_days")
    app = config.app
    if calendar is not None:
        off = sorted({*(d for d in app.extra_days_off if d.year != calendar.year), *calendar.days_off})
        on = sorted({*(d for d in app.extra_working_days if d.year != calendar.year), *calendar.working_days})
        app = app.model_copy(update={"extra_days_off": off, "extra_working_days": on})
    return working_day_deadline(
        issue_date=start, working_days=working_days, config=config.model_copy(update={"app": app})
    )


@dataclass(frozen=True)
class VersionRow:
    """One line of "Lịch sử cấu hình"."""

    id: int
    created_at: datetime
    author: str
    action: str
    note: str
    current: bool


def version_history(*, session: Session, actor: Actor, limit: int = 200) -> list[VersionRow]:
    """The stored versions, newest first, with their author's name (empty: none stored yet)."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    rows = store.list_versions(session=session, limit=limit)
    ids = {r.author_user_id for r in rows if r.author_user_id is not None}
    query = select(col(User.id), col(User.full_name)).where(col(User.id).in_(ids))
    names: dict[int | None, str] = {uid: name for uid, name in session.execute(query)} if ids else {}
    newest = rows[0].id if rows else None
    return [
        VersionRow(
            id=r.id or 0,
            created_at=r.created_at,
            author=names.get(r.author_user_id, "") if r.author_user_id is not None else "(hệ thống)",
            action=store.ACTION_LABELS.get(r.action, r.action)
            + (f" {r.restored_from}" if r.restored_from is not None else ""),
            note=r.note,
            current=r.id == newest,
        )
        for r in rows
    ]


FILE_LABELS = {"app": "Cấu hình chung", "roles": "Vai trò", "workflows": "Quy trình"}
ROLE_PARTS = {"label": "tên vai trò", "at_office": "quyền khi thuộc VP UBND", "at_unit": "quyền khi thuộc đơn vị khác"}


def describe_key(path: str) -> str:
    """A changed key as the admin reads it: "Cơ quan ban hành › ubnd_tinh" for
    ``app.issuers.ubnd_tinh``, the file's label and the path for the others."""
    file, _, rest = path.partition(".")
    head, _, tail = rest.partition(".")
    if file == "app" and head in LABELS:
        return LABELS[head] + (f" › {tail.replace('.', ' › ')}" if tail else "")
    if file == "roles" and head == "roles":  # "Vai trò › clerk › quyền khi thuộc đơn vị khác"
        role, _, part = tail.partition(".")
        return " › ".join(p for p in (FILE_LABELS["roles"], role, ROLE_PARTS.get(part, part)) if p)
    return f"{FILE_LABELS.get(file, file)} › {rest.replace('.', ' › ')}" if rest else FILE_LABELS.get(file, file)


def version_files(*, session: Session, actor: Actor, version_id: int, config_dir: Path) -> dict[str, str]:
    """The files of a version (0: the seed ``config/*.yaml``), to compare two of them."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    if version_id == 0:
        return store.seed_files(config_dir)
    row = store.get_version(session=session, version_id=version_id)
    if row is None:
        raise NotFound(f"Không có phiên bản cấu hình số {version_id}.")
    return dict(row.files)


def public_holidays(year: int) -> list[tuple[date, str]]:
    """Vietnam's public holidays of ``year`` as the working-day calendar counts them (``holidays``)."""
    return sorted(holidays.country_holidays("VN", years=year, language="vi").items())
