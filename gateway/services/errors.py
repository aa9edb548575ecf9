"""Domain exceptions raised by services; ``gateway.problems`` maps them to HTTP.

Messages must never contain personal data or secrets: they are shown to callers.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule violation a caller can be told about."""

    slug = "domain-error"
    title = "Request violates a gateway rule"

    def __init__(self, detail: str, **extensions: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it exists."""

    slug = "not-found"
    title = "Not found"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    slug = "forbidden"
    title = "Forbidden"


class ConsentRequired(Forbidden):
    """No valid consent covers the exchange."""

    slug = "consent-required"
    title = "Consent required"


class DiagnosisReserved(Forbidden):
    """Only medical institutions may record a diagnosis."""

    slug = "diagnosis-reserved"
    title = "Diagnosis is reserved to medical institutions"


class Conflict(DomainError):
    """The request conflicts with the current state of the object."""

    slug = "conflict"
    title = "Conflict"


class InvalidTransition(Conflict):
    """The lifecycle does not allow this change from the current status."""

    slug = "invalid-transition"
    title = "Transition not allowed"


class OpenCaseExists(Conflict):
    """The student already has an open case at this school (one file per student)."""

    slug = "open-case-exists"
    title = "The student already has an open case"


class IdempotencyKeyReused(DomainError):
    """An ``Idempotency-Key`` was sent again with a different request."""

    slug = "idempotency-key-reused"
    title = "Idempotency key reused with a different request"


class InvalidInput(DomainError):
    """Input that passed the schema but breaks a domain rule."""

    slug = "invalid-input"
    title = "Invalid input"


class SignInFailed(DomainError):
    """Wrong e-mail, password or code, or a locked account; callers learn no more than that."""

    slug = "sign-in-failed"
    title = "Sign-in failed"


class SlotFull(Conflict):
    """Every seat of the slot is taken (join the waitlist instead)."""

    slug = "slot-full"
    title = "Slot is full"


class CutOffPassed(Conflict):
    """Too late to cancel: the cancellation cut-off before the start has passed."""

    slug = "cancellation-cut-off"
    title = "Cancellation cut-off passed"


class UnsupportedDocument(DomainError):
    """A document whose content is not an allowed type, or not the type it claims."""

    slug = "unsupported-document"
    title = "Unsupported document type"


class RateLimited(DomainError):
    """Too many of these in the period; try again later (or call the coordinator)."""

    slug = "rate-limited"
    title = "Rate limit reached"


class JwksUnavailable(InvalidInput):
    """A JWK Set URL that is refused or whose answer cannot be used; never echoes the answer."""

    slug = "jwks-unavailable"
    title = "JWK Set URL refused"


class VersionMismatch(DomainError):
    """The caller updated from a version that is no longer the current one (If-Match)."""

    slug = "version-mismatch"
    title = "The resource has changed since it was read"
