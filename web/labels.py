"""Words and times as the pages show them, in the page language: states, triggers, duty kinds,
unmet conditions, field errors and instants in Asia/Jakarta. Registered as template globals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _

from notifications import wording
from web import bp
from web.home import N_
from workflow.clock import as_utc

TRIGGER_LABELS = {
    "start_building": N_("Mulai pembangunan"),
    "submit_to_tpi": N_("Ajukan ke TPI"),
    "tpi_approve": N_("Setujui dan usulkan ke TPN"),
    "tpi_return": N_("Kembalikan ke unit (TPI)"),
    "designate": N_("Tetapkan predikat"),
    "tpn_return": N_("Kembalikan ke unit (TPN)"),
    "revoke": N_("Cabut predikat"),
    "withdraw": N_("Tarik dari proses"),
}
ACTION_LABELS = {
    "open_case": N_("Kasus dibuka"),
    "put_declaration": N_("Data pencanangan disimpan"),
    "put_proposal": N_("Syarat pengusulan disimpan"),
    "put_assessment_tpn": N_("Penilaian TPN (ringkas) disimpan"),
}
DUTY_STATES = {"open": N_("terbuka"), "overdue": N_("terlambat"), "submitted": N_("diserahkan"),
               "acknowledged": N_("diterima"), "waived": N_("dibebaskan")}
WORKSHEETS = {"self": N_("Penilaian mandiri"), "tpi": N_("Penilaian TPI"),
              "tpn": N_("Penilaian TPN")}


def language() -> str:
    return "en" if str(get_locale()) == "en" else "id"


def state_label(state: str) -> str:
    return wording.state_name(state, language())


def trigger_label(trigger: str) -> str:
    label = TRIGGER_LABELS.get(trigger)
    return _(label) if label else trigger


def action_label(action: str) -> str:
    """An audit event's action: a trigger, or one of the recorded changes."""
    if action in TRIGGER_LABELS:
        return trigger_label(action)
    label = ACTION_LABELS.get(action)
    return _(label) if label else action.replace("_", " ")


def duty_kind_label(kind: str) -> str:
    text = wording.duty_kind(kind, language())
    return text[:1].upper() + text[1:]


def duty_state_label(state: str) -> str:
    label = DUTY_STATES.get(state)
    return _(label) if label else state


def worksheet_label(kind: str) -> str:
    label = WORKSHEETS.get(kind)
    return _(label) if label else kind


def bilingual(text: str) -> str:
    """A domain message written ``"Indonesian / English"``: the page language's half."""
    if " / " not in text:
        return text
    indonesian, english = text.split(" / ", 1)
    return english if language() == "en" else indonesian


def unmet_text(unmet: Mapping[str, Any] | Any) -> str:
    """An unmet condition (``Unmet`` or its dict) in the page language."""
    if isinstance(unmet, Mapping):
        return str(unmet.get("message_en") if language() == "en" else unmet.get("message"))
    return str(unmet.message_en if language() == "en" else unmet.message_id)


def field_errors(errors: Mapping[str, Sequence[str]] | None) -> dict[str, list[str]]:
    """A use case's or a form's field errors, each in the page language."""
    return {field: [bilingual(str(message)) for message in messages]
            for field, messages in (errors or {}).items()}


def moment(value: datetime | None) -> str:
    """An instant in Asia/Jakarta (Flask-Babel's default timezone), with the zone's name."""
    if value is None:
        return ""
    return f"{format_datetime(as_utc(value), 'd MMM yyyy HH:mm')} WIB"


def day(value: date | None) -> str:
    return "" if value is None else format_date(value, "d MMM yyyy")


@bp.app_context_processor
def label_globals() -> dict[str, Any]:
    return {"state_label": state_label, "trigger_label": trigger_label,
            "action_label": action_label, "duty_kind_label": duty_kind_label,
            "duty_state_label": duty_state_label, "worksheet_label": worksheet_label,
            "unmet_text": unmet_text, "moment": moment, "day": day}
