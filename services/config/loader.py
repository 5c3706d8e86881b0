"""Loading and validating ``config/*.yaml``.

A province changes these files, not the code, so every mistake must be reported with the
file, the entry and the field, and the app must refuse to start on a bad file.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.attachments import FileType
from models.enums import (
    ActionKey,
    CloseReason,
    EventAction,
    PeriodPreset,
    Permission,
    Role,
    TaskClass,
    TaskStatus,
    UnitKind,
)
from services.config.errors import ConfigError
from services.config.reminders import EmailConfig, NotificationsConfig, RemindersConfig
from services.config.workflows import WorkflowsConfig, load_workflows
from services.config.yaml_lines import compose, line_of

__all__ = ["AppConfig", "ConfigError", "LoginConfig", "load_config"]

UNIT_CODE_PATTERN = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitConfig(_Strict):
    code: str
    name: str = Field(min_length=1)
    short_name: str = Field(min_length=1)
    kind: UnitKind
    parent: str | None = None
    active: bool = True

    @field_validator("code")
    @classmethod
    def _code_pattern(cls, value: str) -> str:
        if not UNIT_CODE_PATTERN.match(value):
            raise ValueError(f"mã định danh '{value}' không đúng mẫu 000.00.00.H21")
        return value


class OrgConfig(_Strict):
    province: str
    units: list[UnitConfig] = Field(min_length=1)


class RoleConfig(_Strict):
    label: str = Field(min_length=1)
    at_office: list[Permission] = []
    at_unit: list[Permission] = []


# The shipped labels of the permissions (config/roles.yaml ``permission_labels``): a configuration
# stored before the labels existed (a stored version) gets these rather than failing to start.
_PERMISSION_LABELS = {
    Permission.TASK_ASSIGN: "Giao nhiệm vụ; thu hồi, điều chỉnh, thay thế",
    Permission.TASK_CONFIRM: "Xác nhận kết quả, quyết định gia hạn, đôn đốc",
    Permission.TASKS_VIEW_ALL: "Xem mọi nhiệm vụ",
    Permission.UNIT_TASKS_VIEW: "Xem nhiệm vụ của đơn vị mình",
    Permission.TASK_NOTE: "Ghi tiến độ xử lý",
    Permission.TASK_REPLY: "Ban hành văn bản trả lời",
    Permission.TASK_WRONG_UNIT: "Đề nghị trả lại (không thuộc chức năng), xin gia hạn",
    Permission.TASK_CONTRIBUTE: "Góp ý khi phối hợp",
    Permission.TASK_ARCHIVE: "Lưu kết thúc văn bản giao bị trả lại",
    Permission.DASHBOARD_VIEW: "Xem Giám sát công việc",
    Permission.ADMIN: "Quản trị hệ thống",
}


class RolesConfig(_Strict):
    roles: dict[Role, RoleConfig]
    # What the admin reads beside each permission (Vai trò và quyền); given, every one needs a label
    permission_labels: dict[Permission, str] = Field(default_factory=lambda: dict(_PERMISSION_LABELS))

    @field_validator("permission_labels")
    @classmethod
    def _every_permission_labelled(cls, value: dict[Permission, str]) -> dict[Permission, str]:
        missing = [p.value for p in Permission if p not in value]
        if missing:
            raise ValueError(f"thiếu nhãn cho {', '.join(missing)}")
        empty = [p.value for p, label in value.items() if not label.strip()]
        if empty:
            raise ValueError(f"nhãn của {', '.join(empty)} không được để trống")
        return value


class ClassStyle(_Strict):
    label: str = Field(min_length=1)
    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")


class LoginConfig(_Strict):
    """``login:`` of app.yaml: how many wrong passwords are let through, how long a login lasts.

    Failures are counted per account name and per client address; the address gets more room,
    since the officials of a department often share one NAT address."""

    failure_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    free_failures_per_account: int = Field(default=3, ge=0, le=100)
    free_failures_per_address: int = Field(default=10, ge=0, le=1000)
    first_delay_seconds: int = Field(default=2, ge=1, le=3600)
    max_delay_seconds: int = Field(default=60, ge=1, le=3600)
    max_failures_per_account: int = Field(default=10, ge=1, le=100)
    max_failures_per_address: int = Field(default=50, ge=1, le=10000)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    session_idle_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=31 * 24)

    @model_validator(mode="after")
    def _consistent(self) -> LoginConfig:
        if self.free_failures_per_account >= self.max_failures_per_account:
            raise ValueError("free_failures_per_account phải nhỏ hơn max_failures_per_account")
        if self.free_failures_per_address >= self.max_failures_per_address:
            raise ValueError("free_failures_per_address phải nhỏ hơn max_failures_per_address")
        if self.first_delay_seconds > self.max_delay_seconds:
            raise ValueError("first_delay_seconds không được lớn hơn max_delay_seconds")
        if self.session_idle_minutes > self.session_max_hours * 60:
            raise ValueError("session_idle_minutes không được dài hơn session_max_hours")
        return self


class AttachmentsConfig(_Strict):
    """``attachments:`` of app.yaml: which files may be attached, how big, how many at once.

    The limits protect the server (a file arrives whole in the server's memory through the page's
    websocket) and the readers (only documents and scans: what officials exchange); the type is
    checked on the content too (``services.attachments``), never only on the extension."""

    max_mb: int = Field(default=20, ge=1, le=200)  # per file; Streamlit's own upload limit is 200 MB
    max_files: int = Field(default=10, ge=1, le=50)  # per form sent
    types: tuple[FileType, ...] = Field(default=tuple(FileType), min_length=1)

    @field_validator("types")
    @classmethod
    def _once_each(cls, value: tuple[FileType, ...]) -> tuple[FileType, ...]:
        return tuple(dict.fromkeys(value))


class ExtensionRequestsConfig(_Strict):
    """``extension_requests:`` of app.yaml (Xin gia hạn): how often and how far a lead unit may ask
    for a later deadline. The Office decides each request; these only bound what may be asked."""

    max_per_task: int = Field(default=2, ge=1, le=20)  # requests per task, decided or not
    max_days: int = Field(default=30, ge=1, le=365)  # days beyond the deadline in force
    allow_after_deadline: bool = False  # a request once the deadline in force has passed


_PERIOD_PRESETS = {
    PeriodPreset.THIS_MONTH: "Tháng này",
    PeriodPreset.LAST_MONTH: "Tháng trước",
    PeriodPreset.Q1: "Quý I",
    PeriodPreset.Q2: "Quý II",
    PeriodPreset.Q3: "Quý III",
    PeriodPreset.Q4: "Quý IV",
    PeriodPreset.FIRST_HALF: "6 tháng đầu năm",
    PeriodPreset.NINE_MONTHS: "9 tháng",
    PeriodPreset.THIS_YEAR: "Cả năm",
    PeriodPreset.LAST_YEAR: "Năm trước",
}


class ReportsConfig(_Strict):
    """``reports:`` of app.yaml: what the official report (DOCX, Nghị định 30/2020/NĐ-CP) prints
    around the figures; the issuing body and the province come from org.yaml."""

    place: str = Field(default="", max_length=60)  # "<place>, ngày … tháng … năm …"; "" the province
    number_suffix: str = Field(default="/BC-VP", max_length=30)  # "Số:      /BC-VP", the number left to fill
    signer_title: str = Field(default="CHÁNH VĂN PHÒNG", min_length=1, max_length=80)
    recipients: list[str] = Field(default=["Lưu: VT"], min_length=1)  # "Nơi nhận:"


class AppSettingsConfig(_Strict):
    app_name: str = "Giao việc"
    issuers: dict[str, str] = Field(min_length=1)
    document_types: dict[str, str] = Field(min_length=1)
    due_soon_days: int = Field(default=3, ge=0, le=60)
    # A reply dated more than this many days before it is entered needs a reason and is flagged
    # (a typed date decides "on time": services.actions.steps.prepare_reply).
    reply_backdate_limit_days: int = Field(default=3, ge=0, le=60)
    # Giám sát's chart draws this many units, those with the most overdue tasks first: a hundred and
    # fifty bars do not read. The others are one toggle ("Hiện tất cả đơn vị") and the table away.
    monitor_chart_units: int = Field(default=20, ge=5, le=500)
    # Xếp hạng và xu hướng: a unit with fewer tasks than this in the period is listed apart, unranked
    # (one reply would move it from first to last); services.stats.ranking.
    ranking_min_tasks: int = Field(default=5, ge=1, le=1000)
    extra_days_off: list[date] = []
    extra_working_days: list[date] = []
    # Every date a person enters (document, reply, deadline, extension) lies between 1 January of
    # earliest_year and years_ahead years after today: 01/01/0001 or 31/12/9999 is a typing slip.
    earliest_year: int = Field(default=2000, ge=1900)
    years_ahead: int = Field(default=10, ge=1, le=100)

    @field_validator("earliest_year")
    @classmethod
    def _earliest_year_passed(cls, value: int) -> int:
        if value > date.today().year:
            raise ValueError(f"earliest_year {value} sau năm nay: mọi ngày nhập vào sẽ bị từ chối")
        return value
    task_classes: dict[TaskClass, ClassStyle]
    task_statuses: dict[TaskStatus, str]
    event_actions: dict[EventAction, str]
    close_reasons: dict[CloseReason, str]
    # A configuration saved before the named periods existed (a stored version) has none: it gets
    # these, as config/app.yaml ships them, rather than failing to start.
    period_presets: dict[PeriodPreset, str] = Field(default_factory=lambda: dict(_PERIOD_PRESETS))
    reports: ReportsConfig = ReportsConfig()
    unit_kinds: dict[UnitKind, str]
    task_actions: dict[ActionKey, str]
    login: LoginConfig = LoginConfig()
    attachments: AttachmentsConfig = AttachmentsConfig()
    reminders: RemindersConfig = RemindersConfig()
    notifications: NotificationsConfig = NotificationsConfig()
    email: EmailConfig = EmailConfig()
    extension_requests: ExtensionRequestsConfig = ExtensionRequestsConfig()


class AppConfig(_Strict):
    """Everything read from ``config/``; validated once at start."""

    org: OrgConfig
    roles: RolesConfig
    app: AppSettingsConfig
    workflows: WorkflowsConfig

    def role_label(self, role: Role) -> str:
        return self.roles.roles[role].label

    def permission_label(self, permission: Permission) -> str:
        return self.roles.permission_labels[permission]

    def class_label(self, cls: TaskClass) -> str:
        return self.app.task_classes[cls].label

    @property
    def office_code(self) -> str:
        return next(u.code for u in self.org.units if u.kind is UnitKind.OFFICE)


_FILES: dict[str, type[BaseModel]] = {
    "org.yaml": OrgConfig,
    "roles.yaml": RolesConfig,
    "app.yaml": AppSettingsConfig,
}


def _describe_location(data: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into 'units[3] (code 000.00.05.H21), field kind'."""
    parts: list[str] = []
    node = data
    for index, key in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(key, int):
            label = f"[{key}]"
            if isinstance(node, list) and key < len(node) and isinstance(node[key], dict):
                ident = node[key].get("code") or node[key].get("name")
                if ident:
                    label += f" ({ident})"
            parts.append(label)
        else:
            parts.append(("trường " if last else "") + str(key))
        if isinstance(node, (list, dict)):
            try:
                node = node[key]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                node = None
    return " > ".join(parts).replace(" > [", "[")


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise ConfigError(f"{path}: thiếu tệp cấu hình.")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" dòng {mark.line + 1}, cột {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: YAML không hợp lệ ({getattr(exc, 'problem', exc)}).") from exc


def _check_cross_rules(config: AppConfig, config_dir: Path, unit_codes: Collection[str] = ()) -> list[str]:
    errors: list[str] = []
    org_file = config_dir / "org.yaml"
    org_tree = compose(org_file)

    def at(index: int, field_name: str) -> str:
        line = line_of(org_tree, ("units", index, field_name))
        unit = config.org.units[index]
        return f"{org_file}{f' dòng {line}' if line else ''}: units[{index}] ({unit.code}) trường {field_name}"

    codes: set[str] = set()
    for index, unit in enumerate(config.org.units):
        if unit.code in codes:
            errors.append(f"{at(index, 'code')}: mã định danh bị trùng.")
        codes.add(unit.code)
    for index, unit in enumerate(config.org.units):
        if unit.kind is UnitKind.SUBUNIT and not unit.parent:
            errors.append(f"{at(index, 'parent')}: đơn vị trực thuộc phải có đơn vị cha.")
        if unit.parent and unit.parent not in codes:
            errors.append(f"{at(index, 'parent')}: không có đơn vị mã '{unit.parent}'.")
        if unit.parent == unit.code:
            errors.append(f"{at(index, 'parent')}: đơn vị không thể là cha của chính nó.")
    offices = [(i, u) for i, u in enumerate(config.org.units) if u.kind is UnitKind.OFFICE]
    if len(offices) != 1:
        listed = ", ".join(f"units[{i}] ({u.code})" for i, u in offices)
        errors.append(
            f"{org_file}: units: phải có đúng một đơn vị kind: office (VP UBND tỉnh), đang có {len(offices)}"
            + (f": {listed}." if listed else ".")
        )
    wf_file = config_dir / "workflows.yaml"
    wf_tree = compose(wf_file)
    known = codes | set(unit_codes)  # a unit added on Quản trị › Đơn vị is in the database only
    for key, wf in config.workflows.workflows.items():
        for index, code in enumerate(wf.units or ()):
            if code not in known:
                line = line_of(wf_tree, ("workflows", key, "units", index))
                errors.append(
                    f"{wf_file}{f' dòng {line}' if line else ''}: workflows > {key} > units[{index}]: "
                    f"không có đơn vị mã '{code}' trong org.yaml."
                )
    missing_roles = [r.value for r in Role if r not in config.roles.roles]
    if missing_roles:
        errors.append(f"{config_dir / 'roles.yaml'}: roles: thiếu vai trò {', '.join(missing_roles)}.")
    app_file = config_dir / "app.yaml"
    for field_name, enum_type in (
        ("task_classes", TaskClass),
        ("task_statuses", TaskStatus),
        ("event_actions", EventAction),
        ("close_reasons", CloseReason),
        ("period_presets", PeriodPreset),
        ("unit_kinds", UnitKind),
    ):
        present = getattr(config.app, field_name)
        missing = [m.value for m in enum_type if m not in present]
        if missing:
            errors.append(f"{app_file}: trường {field_name}: thiếu nhãn cho {', '.join(missing)}.")
    return errors


def load_config(config_dir: Path, *, unit_codes: Collection[str] = ()) -> AppConfig:
    """Read and validate every config file; raise ConfigError listing all problems found.

    ``unit_codes``: the units of the database besides org.yaml's (added or created at a merge on
    Quản trị › Đơn vị), which a unit's own workflow variant may name too."""
    errors: list[str] = []
    parsed: dict[str, BaseModel] = {}
    for filename, model in _FILES.items():
        path = config_dir / filename
        try:
            data = _read_yaml(path)
        except ConfigError as exc:
            errors.append(str(exc))
            continue
        try:
            parsed[filename] = model.model_validate(data)
        except ValidationError as exc:
            tree = compose(path)
            for err in exc.errors():
                loc = tuple(err["loc"])
                where = _describe_location(data, loc) or "(gốc)"
                line = line_of(tree, loc)
                value = err.get("input")
                shown = f" (giá trị: {value!r})" if isinstance(value, (str, int, float)) and len(loc) else ""
                errors.append(f"{path}{f' dòng {line}' if line else ''}: {where}: {err['msg']}{shown}")
    try:
        workflows = load_workflows(config_dir)
    except ConfigError as exc:
        errors.extend(line.removeprefix("- ") for line in str(exc).splitlines()[1:] or [str(exc)])
    if errors:
        raise ConfigError("Cấu hình không hợp lệ:\n" + "\n".join(f"- {e}" for e in errors))
    config = AppConfig(
        org=parsed["org.yaml"],  # type: ignore[arg-type]
        roles=parsed["roles.yaml"],  # type: ignore[arg-type]
        app=parsed["app.yaml"],  # type: ignore[arg-type]
        workflows=workflows,
    )
    cross = _check_cross_rules(config, config_dir, unit_codes)
    if cross:
        raise ConfigError("Cấu hình không hợp lệ:\n" + "\n".join(f"- {e}" for e in cross))
    return config
