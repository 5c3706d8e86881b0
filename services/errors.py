"""Typed errors whose message is Vietnamese and shown to the user as is."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule refused the action; nothing was saved."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(ServiceError):
    """The input breaks a validation rule."""


class PermissionDenied(ServiceError):
    """The user may not do this."""


class NotFound(ServiceError):
    """The object does not exist or is not visible to the user."""


class Conflict(ServiceError):
    """The action does not fit the object's current state (e.g. already confirmed)."""
