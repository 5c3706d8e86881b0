"""Every configuration key is documented in the README (a new key without docs fails here)."""

from __future__ import annotations

import re

from pydantic import BaseModel

from models import Permission, Role
from services.config.loader import (
    AppSettingsConfig,
    AttachmentsConfig,
    ClassStyle,
    ExtensionRequestsConfig,
    LoginConfig,
    OrgConfig,
    ReportsConfig,
    RoleConfig,
    RolesConfig,
    UnitConfig,
)
from services.config.reminders import EmailConfig, NotificationsConfig, ReminderLevelConfig, RemindersConfig
from services.config.workflows import StateDef, TransitionDef, WorkflowDef, WorkflowsConfig
from services.infra.settings import ROOT, Settings

README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIG_SECTION = README.split("## Configuration (`config/`)", 1)[1].split("\n## ", 1)[0]


def _documented(key: str, text: str) -> bool:
    return re.search(rf"`{re.escape(key)}`", text) is not None


def test_every_config_key_is_documented() -> None:
    models: list[type[BaseModel]] = [
        OrgConfig,
        UnitConfig,
        RolesConfig,
        RoleConfig,
        AppSettingsConfig,
        ClassStyle,
        LoginConfig,
        AttachmentsConfig,
        ExtensionRequestsConfig,
        ReportsConfig,
        RemindersConfig,
        ReminderLevelConfig,
        NotificationsConfig,
        EmailConfig,
        WorkflowsConfig,
        WorkflowDef,
        StateDef,
        TransitionDef,
    ]
    missing = [
        f"{m.__name__}.{field.alias or name}"
        for m in models
        for name, field in m.model_fields.items()
        if not _documented(field.alias or name, CONFIG_SECTION)
    ]
    assert missing == []


def test_every_role_and_permission_is_documented() -> None:
    missing = [v.value for v in [*Role, *Permission] if not _documented(v.value, CONFIG_SECTION)]
    assert missing == []


def test_every_setting_is_documented() -> None:
    section = README.split("## Database", 1)[1]
    missing = [name for name in Settings.model_fields if name.upper() not in section]
    assert missing == []
