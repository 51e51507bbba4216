"""Errors actions raise; the API and web layers turn them into 4xx answers."""

from __future__ import annotations


class SwitchboardError(Exception):
    """Base for expected, user-facing failures (never a 500)."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class NotFound(SwitchboardError):
    """Missing *or* forbidden: callers must not be able to tell the two apart."""

    status_code = 404

    def __init__(self, message: str = "Not found") -> None:
        super().__init__(message, code="not_found")


class PermissionDenied(SwitchboardError):
    """The caller may see the record but not do this to it."""

    status_code = 403

    def __init__(self, message: str = "You may not do that.") -> None:
        super().__init__(message, code="forbidden")


class ValidationFailed(SwitchboardError):
    status_code = 422


class Conflict(SwitchboardError):
    """The record changed since the caller read it: nothing was written.

    `conflicts` names each field someone else changed meanwhile: (field, the caller's value,
    the value now stored), so a form can show both.
    """

    status_code = 409

    def __init__(
        self,
        message: str = (
            "Safe Update prevented the update due to outdated ticket data. "
            "Please fetch the latest ticket data and try again."
        ),
        *,
        conflicts: list[tuple[str, object, object]] | None = None,
    ) -> None:
        super().__init__(message, code="UpdateConflict")
        self.conflicts = conflicts or []
