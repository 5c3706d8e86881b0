"""Typed errors whose message is Vietnamese and shown to the user as is.

Each kind carries a stable machine ``code`` (the JSON API answers with it), so a caller never
has to compare Vietnamese messages.
"""

from __future__ import annotations

from typing import ClassVar


class ServiceError(Exception):
    """A rule refused the action; nothing was saved."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400  # the HTTP status the API answers with

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(ServiceError):
    """The input breaks a validation rule (``field`` names the input)."""

    code = "invalid_input"
    status = 422


class PermissionDenied(ServiceError):
    """The user may not do this."""

    code = "permission_denied"
    status = 403


class NotFound(ServiceError):
    """The object does not exist or is not visible to the user (never confirm it exists)."""

    code = "not_found"
    status = 404


class Conflict(ServiceError):
    """The action does not fit the object's current state, or someone changed it meanwhile."""

    code = "conflict"
    status = 409


STALE_MESSAGE = "Vừa có người khác xử lý nhiệm vụ này. Hãy tải lại trang để xem tình trạng mới nhất."


class StaleState(Conflict):
    """Someone acted on the same task between this caller's reading and writing."""

    def __init__(self, message: str = STALE_MESSAGE) -> None:
        super().__init__(message)
