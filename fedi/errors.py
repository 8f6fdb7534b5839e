"""One small error hierarchy: each error carries an HTTP status and a message safe to show.

The client API maps these to Mastodon's ``{"error": ...}`` shape, ActivityPub endpoints to a
bare status, and the CLI to a one-line message. Domain code raises them; nothing else should
need to invent a status code.
"""

from __future__ import annotations


class JamiiError(Exception):
    """Base of every error whose message may be shown to a user or peer."""

    status: int = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(JamiiError):
    """Input that breaks a rule (too long, unknown visibility, …): Mastodon answers 422."""

    status = 422


class NotFound(JamiiError):
    """Unknown ids and ids the caller may not see answer the same way."""

    status = 404

    def __init__(self, message: str = "Record not found", *, field: str | None = None) -> None:
        super().__init__(message, field=field)


class Forbidden(JamiiError):
    status = 403


class Unauthorized(JamiiError):
    status = 401


class Conflict(JamiiError):
    """A uniqueness rule (username or e-mail taken) — Mastodon answers 422 for these too."""

    status = 422


class Unavailable(JamiiError):
    """A dependency (database, translation engine) is down; callers should retry later."""

    status = 503

    def __init__(self, message: str, *, retry_after: int = 30) -> None:
        super().__init__(message)
        self.retry_after = retry_after
