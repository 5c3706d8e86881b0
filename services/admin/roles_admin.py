"""Vai trò và quyền administered through a form (issue 10): each role's label and the permissions
it has at VP UBND (``at_office``) and in any other unit (``at_unit``), as ``config/roles.yaml``.

One call per change: check ``Permission.ADMIN``, validate with the same model as
``config/roles.yaml`` (``RolesConfig``: a known permission, a label) and then the whole
configuration with ``load_config``, refuse a change that would leave nobody able to administer the
app, write the configuration version and the journal row (``AdminEntity.ROLE``), and commit; or
refuse with a Vietnamese message naming the role and the field, and change nothing. The next page
run of every user builds its ``Actor`` from the version in force
(``services.access.permissions.build_actor``), so a permission granted or taken counts at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from models import AdminEntity, ConfigVersion, Permission, Role
from services.access import administrators
from services.access.permissions import Actor, require
from services.admin.config_admin import ROLE_PARTS, _current, _write, _yaml_of
from services.config import store
from services.config.loader import RolesConfig
from services.infra.errors import FieldError, InvalidInput

ADMIN_ONLY = "Chỉ quản trị hệ thống được thay đổi vai trò và quyền."
LABEL_MAX = 100
# How the form (and Lịch sử cấu hình) names the two lists of a role
SCOPES: dict[str, str] = {key: text for key, text in ROLE_PARTS.items() if key != "label"}


@dataclass(frozen=True)
class RoleEdit:
    """One role as the form sends it: its label, and the permission keys checked in each column."""

    label: str
    at_office: Sequence[str]
    at_unit: Sequence[str]


def _data(files: Mapping[str, str]) -> dict[str, Any]:
    return _yaml_of(files, "roles.yaml", "roles")


def _role_name(data: Mapping[str, Any], key: str) -> str:
    role = data.get("roles", {}).get(key)
    label = role.get("label") if isinstance(role, dict) else None
    return f"Vai trò “{label}” ({key})" if label else f"Vai trò {key}"


def _apply(data: dict[str, Any], roles: Mapping[str, RoleEdit]) -> list[FieldError]:
    """Put the form's roles into ``data`` (permissions in the order of ``Permission``); the
    refusals of the form, by field."""
    problems: list[FieldError] = []
    known = {p.value for p in Permission}
    for key, edit in roles.items():
        if key not in {r.value for r in Role}:
            problems.append(FieldError("roles", f"Không có vai trò “{key}”."))
            continue
        name = _role_name(data, key)
        label = edit.label.strip()
        if not label:
            problems.append(FieldError(f"roles.{key}.label", f"{name} — tên vai trò: không được để trống."))
        elif len(label) > LABEL_MAX:
            problems.append(FieldError(f"roles.{key}.label", f"{name} — tên vai trò: tối đa {LABEL_MAX} ký tự."))
        entry: dict[str, Any] = {"label": label}
        for scope, scope_name in SCOPES.items():
            given = list(getattr(edit, scope))
            unknown = [p for p in given if p not in known]
            if unknown:
                problems.append(
                    FieldError(
                        f"roles.{key}.{scope}", f"{name} — {scope_name}: không có quyền “{'”, “'.join(unknown)}”."
                    )
                )
            before = (data["roles"].get(key) or {}).get(scope) or []
            # the same permissions as before keep their order: an unchanged role is no change
            entry[scope] = before if set(before) == set(given) else [p.value for p in Permission if p.value in given]
        data["roles"][key] = entry
    return problems


def _lockout(session: Session, actor: Actor, parsed: RolesConfig, data: Mapping[str, Any]) -> list[FieldError]:
    """Nobody may be left able to administer the app, and the admin may not take the admin
    permission from himself (he could not come back to this page to undo it)."""
    if not any(Permission.ADMIN in (*r.at_office, *r.at_unit) for r in parsed.roles.values()):
        return [
            FieldError(
                "admin",
                "Không lưu: phải còn ít nhất một vai trò có quyền “Quản trị hệ thống” (admin), "
                "nếu không sẽ không ai vào được các trang Quản trị.",
            )
        ]
    still = administrators.administrators(session=session, roles=parsed)
    keeps = actor.username in still  # the same reading as every other guard of the last administrator
    scope = "quyền khi thuộc VP UBND" if actor.at_office else "quyền khi thuộc đơn vị khác"
    if not still:
        return [
            FieldError(
                "admin",
                f"Không lưu: sau thay đổi này không còn tài khoản đang hoạt động nào có quyền “Quản trị hệ thống”. "
                f"{_role_name(data, actor.role.value)} — {scope} phải giữ quyền này, hoặc cấp vai trò quản trị "
                "cho một tài khoản khác trước.",
            )
        ]
    if not keeps:
        return [
            FieldError(
                "admin",
                f"Không lưu: thay đổi này bỏ quyền “Quản trị hệ thống” của chính bạn "
                f"({_role_name(data, actor.role.value)} — {scope}) và bạn sẽ không vào lại được trang này. "
                "Hãy để một tài khoản quản trị khác làm việc này.",
            )
        ]
    return []


def _model_errors(exc: ValidationError, data: Mapping[str, Any]) -> list[FieldError]:
    found: list[FieldError] = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        if len(loc) >= 3 and loc[0] == "roles":
            where = f"{_role_name(data, loc[1])} — {SCOPES.get(loc[2], loc[2])}"
            field = f"roles.{loc[1]}.{loc[2]}"
        else:
            where, field = "roles.yaml — " + " › ".join(loc), "config"
        found.append(FieldError(field, f"{where}: {error['msg']}."))
    return found


def save_roles(
    *,
    session: Session,
    actor: Actor,
    roles: Mapping[str, RoleEdit],
    based_on: int | None,
    config_dir: Path,
    note: str = "",
    now: datetime | None = None,
) -> ConfigVersion:
    """Save the roles as the form shows them (a role left out keeps its label and permissions) as a
    new configuration version; ``based_on``: the version the form was drawn from (another
    admin's save in between is refused, not overwritten)."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    _, files = _current(session, config_dir, based_on)
    data = _data(files)
    old_roles = dict(_data(files)["roles"])
    problems = _apply(data, roles)
    if problems:
        raise InvalidInput.of(problems)
    try:
        parsed = RolesConfig.model_validate(data)  # the same model as config/roles.yaml
    except ValidationError as exc:
        raise InvalidInput.of(_model_errors(exc, data)) from exc
    problems = _lockout(session, actor, parsed, data)
    if problems:
        raise InvalidInput.of(problems)
    changed = [k for k in data["roles"] if data["roles"][k] != old_roles.get(k)]
    if not changed:  # the file would only lose its comments
        raise InvalidInput("Không có thay đổi nào so với cấu hình đang dùng: không lưu phiên bản mới.", field="config")
    return _write(
        session=session,
        actor=actor,
        old=files,
        new={**files, "roles.yaml": store.dump_yaml(data)},
        action="roles",
        config_dir=config_dir,
        note=note.strip() or f"{store.ACTION_LABELS['roles']}: {', '.join(changed)}",
        now=now,
        entity=AdminEntity.ROLE,
        entity_key="roles",
    )
