"""SQLModel tables and enums of Giao việc."""

from models.enums import (
    CloseReason,
    ConfirmOutcome,
    DocumentKind,
    EventAction,
    Permission,
    RequestStatus,
    Role,
    TaskClass,
    TaskStatus,
    UnitKind,
)
from models.tables import (
    Confirmation,
    Document,
    Extension,
    Flow,
    OrgUnit,
    Task,
    TaskCoordinator,
    TaskEvent,
    User,
    WrongUnitRequest,
)

__all__ = [
    "CloseReason",
    "ConfirmOutcome",
    "Confirmation",
    "Document",
    "DocumentKind",
    "EventAction",
    "Extension",
    "Flow",
    "OrgUnit",
    "Permission",
    "RequestStatus",
    "Role",
    "Task",
    "TaskClass",
    "TaskCoordinator",
    "TaskEvent",
    "TaskStatus",
    "UnitKind",
    "User",
    "WrongUnitRequest",
]
