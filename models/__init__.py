"""SQLModel tables and enums of Giao việc."""

from models.enums import (
    ConfirmOutcome,
    DocumentKind,
    EventAction,
    Permission,
    Role,
    TaskClass,
    TaskStatus,
    UnitKind,
)
from models.tables import (
    Confirmation,
    Document,
    Extension,
    OrgUnit,
    Task,
    TaskCoordinator,
    TaskEvent,
    User,
)

__all__ = [
    "ConfirmOutcome",
    "Confirmation",
    "Document",
    "DocumentKind",
    "EventAction",
    "Extension",
    "OrgUnit",
    "Permission",
    "Role",
    "Task",
    "TaskClass",
    "TaskCoordinator",
    "TaskEvent",
    "TaskStatus",
    "UnitKind",
    "User",
]
