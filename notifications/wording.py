"""The words the e-mails use, in Indonesian (default) and English, and dates as people write them.

Dates and times are shown in Asia/Jakarta (WIB), the zone of every deadline (DOMAIN.md: Duties).
"""

from __future__ import annotations

from datetime import date, datetime

from workflow.clock import JAKARTA, as_utc

LANGUAGES = ("id", "en")

MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}

# What happened to the unit, as the end of a sentence starting with the unit's name.
TRIGGERS = {
    "id": {
        "start_building": "memulai tahap pembangunan",
        "submit_to_tpi": "diajukan ke TPI",
        "tpi_approve": "disetujui TPI dan diusulkan ke TPN",
        "tpi_return": "dikembalikan oleh TPI untuk perbaikan",
        "designate": "ditetapkan sebagai {target}",
        "tpn_return": "dikembalikan oleh TPN untuk perbaikan",
        "revoke": "dicabut predikat {target}-nya",
        "withdraw": "ditarik dari proses {target}",
    },
    "en": {
        "start_building": "started building",
        "submit_to_tpi": "was submitted to the TPI",
        "tpi_approve": "was approved by the TPI and proposed to the TPN",
        "tpi_return": "was returned by the TPI for improvement",
        "designate": "was designated {target}",
        "tpn_return": "was returned by the TPN for improvement",
        "revoke": "had its {target} predicate revoked",
        "withdraw": "was withdrawn from the {target} process",
    },
}

STATES = {
    "id": {"pencanangan": "Pencanangan", "pembangunan": "Pembangunan",
           "pengusulan": "Pengusulan", "reviu_tpn": "Reviu TPN", "penetapan": "Penetapan",
           "dicabut": "Dicabut", "ditarik": "Ditarik"},
    "en": {"pencanangan": "Declaration (pencanangan)", "pembangunan": "Building (pembangunan)",
           "pengusulan": "Proposal (pengusulan)", "reviu_tpn": "TPN review",
           "penetapan": "Designated (penetapan)", "dicabut": "Revoked", "ditarik": "Withdrawn"},
}

DUTY_KINDS = {
    "id": {
        "year_end_report": "laporan akhir tahun pembangunan ZI",
        "maintenance_check": "pemeriksaan pemeliharaan predikat",
        "tpi_monitoring_report": "laporan pemantauan TPI",
        "improvement_plan": "rencana perbaikan",
        "budget_allocation": "alokasi dukungan anggaran",
        "proposal_deadline": "batas waktu pengusulan",
    },
    "en": {
        "year_end_report": "year-end ZI building report",
        "maintenance_check": "predicate maintenance check",
        "tpi_monitoring_report": "TPI monitoring report",
        "improvement_plan": "improvement plan",
        "budget_allocation": "budget allocation",
        "proposal_deadline": "proposal deadline",
    },
}


def _lang(language: str) -> str:
    return language if language in LANGUAGES else "id"


def trigger_phrase(trigger: str | None, language: str, target: str | None = None) -> str:
    """``submit_to_tpi`` → "diajukan ke TPI"; an unknown trigger is shown as itself."""
    phrase = TRIGGERS[_lang(language)].get(trigger or "", (trigger or "").replace("_", " "))
    return phrase.format(target=target or "ZI")


def state_name(state: str | None, language: str) -> str:
    return STATES[_lang(language)].get(state or "", state or "")


def duty_kind(kind: str | None, language: str) -> str:
    return DUTY_KINDS[_lang(language)].get(kind or "", (kind or "").replace("_", " "))


def _as_date(value: date | datetime | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return as_utc(value).astimezone(JAKARTA).date()
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text)
    return as_utc(datetime.fromisoformat(text)).astimezone(JAKARTA).date()


def format_date(value: date | datetime | str | None, language: str) -> str:
    """"31 Desember 2026" in Indonesian, "31 December 2026" in English; instants in WIB."""
    day = _as_date(value)
    if day is None:
        return ""
    return f"{day.day} {MONTHS[_lang(language)][day.month - 1]} {day.year}"


def format_moment(value: datetime | str | None, language: str) -> str:
    """An instant in Jakarta time: "24 November 2026 pukul 14.30 WIB" / "…, 14:30 WIB"."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    local = as_utc(moment).astimezone(JAKARTA)
    day = format_date(local.date(), language)
    if _lang(language) == "id":
        return f"{day} pukul {local:%H.%M} WIB"
    return f"{day}, {local:%H:%M} WIB"
