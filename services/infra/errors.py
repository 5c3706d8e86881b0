"""Typed errors whose message is Vietnamese and shown to the user as is.

Each kind carries a stable machine ``code`` (the JSON API answers with it), so a caller never
has to compare Vietnamese messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar


class ServiceError(Exception):
    """A rule refused the action; nothing was saved."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400  # the HTTP status the API answers with

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class FieldError:
    """One refused field of an input: its name (``tasks.2.deadline``) and the Vietnamese reason."""

    field: str
    message: str


class InvalidInput(ServiceError):
    """The input breaks a validation rule (``field`` names the input).

    ``errors`` holds every refused field of the input, not only the first: a form shows each one
    next to its field at once, so a person corrects them all in one round (``message`` and
    ``field`` are the whole and the first, for the API and for callers that want one)."""

    code = "invalid_input"
    status = 422

    def __init__(self, message: str, *, field: str | None = None, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message, field=field)
        self.errors: tuple[FieldError, ...] = tuple(errors) or (FieldError(field or "input", message),)

    @classmethod
    def of(cls, errors: Sequence[FieldError]) -> InvalidInput:
        """One refusal for several fields: the messages one after another, the first field named."""
        assert errors, "InvalidInput.of needs at least one error"
        if len(errors) == 1:
            return cls(errors[0].message, field=errors[0].field)
        return cls(" ".join(e.message for e in errors), field=errors[0].field, errors=errors)


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
