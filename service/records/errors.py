"""Domain errors of records management; the API maps them to 403/409 with Chinese messages."""
from __future__ import annotations


class RecordsError(Exception):
    """Base of every records-management refusal; ``message`` is shown to the user (Chinese)."""

    status = 409
    code = "records_error"

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ConsentRequired(RecordsError):
    """The customer has not consented to this use of the dossier (客户主权)."""
    status, code = 403, "consent_required"


class AccessDenied(RecordsError):
    """The actor's role allows the action but not on this dossier (ownership, team)."""
    status, code = 403, "forbidden"


class LoanStateError(RecordsError):
    """A lending step that does not follow from the loan's current state."""
    status, code = 409, "loan_state"


class NotExpired(RecordsError):
    """Destruction asked for a dossier whose retention period has not ended."""
    status, code = 409, "not_expired"


class OnHold(RecordsError):
    """Destruction asked for a dossier under legal hold."""
    status, code = 409, "legal_hold"


class Destroyed(RecordsError):
    """The dossier was destroyed: only its tombstone remains."""
    status, code = 410, "destroyed"


class RecordsInvalid(RecordsError):
    """A records request body is missing something or has the wrong type."""
    status, code = 400, "validation_failed"
