"""Errors of workspace operations, which the web layer turns into HTTP statuses (404, 403, 409, 422)."""

from __future__ import annotations

from ..errors import ClusterleapError

__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "StoreError"]


class StoreError(ClusterleapError):
    """Base of workspace operation errors."""


class NotFound(StoreError):
    """The object does not exist, or the asker may not know that it does (hence also for other clusters' data)."""


class Forbidden(StoreError):
    """The asker sees the object but may not do this to it."""


class Conflict(StoreError):
    """The object is not in a state that allows this (e.g. accepting a draft)."""


class Invalid(StoreError):
    """Input that fails a check; ``fields`` maps form fields to messages."""

    def __init__(self, message: str, field: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})
        if field is not None:
            self.fields.setdefault(field, message)
