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
