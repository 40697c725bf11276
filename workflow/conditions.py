"""Unmet conditions: what a guard, a threshold or a cross-case rule reports when it refuses.

Every refusal names each unmet condition with a stable ``code`` a client can act on, a
message in Indonesian (shown first) and English, and, for scores, the figure and the minimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Unmet:
    code: str
    message_id: str
    message_en: str
    subject: str | None = None
    value: Decimal | None = None
    minimum: Decimal | None = None
    #: the worksheet questions at fault (unanswered, without evidence, flagged)
    items: tuple[str, ...] | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of the HTTP contract: figures as strings with two decimals."""
        body: dict[str, object] = {
            "code": self.code,
            "message": self.message_id,
            "message_en": self.message_en,
        }
        if self.subject is not None:
            body["subject"] = self.subject
        if self.value is not None:
            body["value"] = f"{self.value:.2f}"
        if self.minimum is not None:
            body["minimum"] = f"{self.minimum:.2f}"
        if self.items is not None:
            body["question_ids"] = list(self.items)
        return body
