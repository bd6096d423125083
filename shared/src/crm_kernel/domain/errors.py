"""Domain errors: deciders raise them, the HTTP shell maps them to status codes."""


class DomainError(Exception):
    """A command was refused by the business rules (HTTP 422 or 409)."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(DomainError):
    status_code = 404


class ConflictError(DomainError):
    """The stream moved on since it was read: retry with the new version (HTTP 409)."""

    status_code = 409


class RefusedError(DomainError):
    """Refused by a rule about the subject's current state, not by a race: asking again does
    not help (HTTP 409; an ingest sends it to its rejected topic, where a ConflictError is
    delivered again)."""

    status_code = 409


class GoneError(DomainError):
    """The subject no longer exists for commands (erased, or merged into another)."""

    status_code = 410
