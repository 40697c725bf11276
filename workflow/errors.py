"""Domain errors: each carries a stable code and messages in Indonesian and English.

They never carry an HTTP status; ``api.errors`` alone maps them to one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from workflow.conditions import Unmet


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message_id: str, message_en: str, code: str | None = None,
                 errors: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message_en)
        self.message_id, self.message_en = message_id, message_en
        self.code = code or self.code
        self.errors = errors


class NotFound(DomainError):
    code = "not_found"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    """Outside the caller's role (``forbidden_for_role``) or scope (``out_of_scope``...)."""

    code = "forbidden_for_role"


class InvalidInput(DomainError):
    code = "validation_error"


class Conflict(DomainError):
    """The request clashes with the current state of the data (e.g. ``case_already_open``)."""

    code = "conflict"


class StaleVersion(Conflict):
    code = "stale_version"

    def __init__(self, expected: int | None = None, current: int | None = None) -> None:
        now_id = f" (kini versi {current})" if current is not None else ""
        now_en = f" (now version {current})" if current is not None else ""
        super().__init__(
            f"Data kasus telah berubah{now_id}; muat ulang lalu coba lagi",
            f"The case has changed{now_en}; reload and try again",
        )
        self.expected, self.current = expected, current


class GuardFailed(DomainError):
    """A transition or a cross-case rule refused; ``unmet`` names every unmet condition."""

    code = "guard_failed"

    def __init__(self, unmet: Sequence[Unmet]) -> None:
        codes = ", ".join(u.code for u in unmet)
        super().__init__(f"Syarat belum terpenuhi: {codes}", f"Conditions not met: {codes}")
        self.unmet = list(unmet)


class FileTooLarge(InvalidInput):
    """An uploaded file above the configured limit (``EVIDENCE_MAX_BYTES``)."""

    code = "file_too_large"


class UnsupportedFileType(InvalidInput):
    """An uploaded file whose content is not an accepted type, or not the type its name claims."""

    code = "unsupported_file_type"
