"""The e-mails' words: every template in both languages, dates in WIB, HTML escaped."""

from __future__ import annotations

import re

import pytest

from notifications.render import UnknownTemplate, make_message_id, render
from notifications.settings import DeliverySettings
from notifications.wording import TRIGGERS, format_date, format_moment, trigger_phrase
from workflow.notices import TRANSITION_AUDIENCE

SETTINGS = DeliverySettings(public_base_url="https://zi.example.go.id/")
DUTY = {"duty_id": 7, "kind": "improvement_plan", "unit_id": 1, "unit_name": "Unit <b>U1</b>",
        "due_date": "2027-03-01", "offset_days": 7, "link": "/tugas/7"}
CONTEXTS = {
    "transition_notice": {"case_id": 5, "unit_name": "Unit <b>U1</b>", "target": "WBBM",
                          "trigger": "designate", "from_state": "reviu_tpn",
                          "to_state": "penetapan", "occurred_at": "2026-12-31T17:30:00+00:00"},
    "duty_reminder": DUTY,
    "duty_overdue": DUTY,
    "duty_escalation": DUTY,
    "duty_submitted": DUTY,
    "delivery_failed": {"failed_message_id": 3, "failed_template": "duty_reminder",
                        "failed_recipient": "x@uji.go.id", "attempts": 1, "smtp_code": 550,
                        "detail": "<no such user>", "failed_at": "2026-11-24T01:00:00+00:00"},
    "portalrb_changed": {"case_id": 5, "unit_code": "U1", "unit_name": "Unit <b>U1</b>",
                         "target": "WBK", "tahun": 2026, "state": "pembangunan",
                         "change": "state", "fetched_at": "2026-06-15T02:00:00+00:00",
                         "changed_at": "2026-06-16T02:00:00+00:00", "link": "/kasus/5"},
    "invitation": {"link": "/sandi/tok3n", "name": "Unit <b>U1</b>", "email": "k@uji.go.id",
                   "role": "coordinator", "expires_at": "2026-12-31T17:30:00+00:00"},
    "password_reset": {"link": "/sandi/tok3n", "name": "", "email": "k@uji.go.id",
                       "role": "coordinator", "expires_at": "2026-12-31T17:30:00+00:00"},
    "daily_digest": {"digest_date": "2026-12-01", "items": [
        {"outbox_id": 1, "template": "duty_reminder", "context": DUTY},
        {"outbox_id": 2, "template": "duty_escalation", "context": DUTY}]},
}


@pytest.mark.parametrize(("value", "language", "shown"), [
    ("2026-12-31", "id", "31 Desember 2026"),
    ("2026-12-31", "en", "31 December 2026"),
    ("2026-08-17", "id", "17 Agustus 2026"),
    ("2026-12-31T17:30:00+00:00", "id", "1 Januari 2027"),  # already the next day in Jakarta
    ("", "id", ""),
])
def test_dates_are_written_the_way_people_read_them(value, language, shown):
    assert format_date(value, language) == shown


def test_instants_are_shown_in_jakarta_time():
    assert format_moment("2026-12-31T17:30:00+00:00", "id") == "1 Januari 2027 pukul 00.30 WIB"
    assert format_moment("2026-12-31T17:30:00+00:00", "en") == "1 January 2027, 00:30 WIB"


def test_every_notified_trigger_has_words_in_both_languages():
    for language in ("id", "en"):
        assert set(TRANSITION_AUDIENCE) <= set(TRIGGERS[language])
    assert trigger_phrase("submit_to_tpi", "id") == "diajukan ke TPI"
    assert trigger_phrase("designate", "en", "WBK") == "was designated WBK"


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_every_template_renders_subject_text_and_escaped_html(template, language):
    rendered = render(template, language, CONTEXTS[template], SETTINGS)
    assert rendered.subject.startswith("[ZI] ") and "\n" not in rendered.subject
    assert rendered.text.strip() and "<b>" not in rendered.html
    assert f'<html lang="{language}">' in rendered.html
    if template in ("invitation", "password_reset"):  # the page that sets the password
        assert "https://zi.example.go.id/sandi/tok3n" in rendered.text
        assert "https://zi.example.go.id/sandi/tok3n" in rendered.html
    elif template != "delivery_failed":
        # the link opens a page (issue 8), never the API's JSON
        assert re.search(r"https://zi\.example\.go\.id/(kasus|tugas)/\d+\b", rendered.text)
        assert "/api/v1/" not in rendered.text
    if template.startswith("duty_") or template == "daily_digest":
        day = "1 Maret 2027" if language == "id" else "1 March 2027"
        assert day in rendered.text


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_missing_optional_keys_still_render(template):
    assert render(template, "id", {}, SETTINGS).subject.startswith("[ZI]")


def test_unknown_language_falls_back_to_indonesian_and_unknown_template_is_refused():
    assert "jatuh tempo" in render("duty_reminder", "fr", DUTY, SETTINGS).subject
    with pytest.raises(UnknownTemplate):
        render("../_base", "id", {}, SETTINGS)
    with pytest.raises(UnknownTemplate):
        render("no_such_template", "id", {}, SETTINGS)


def test_message_id_names_the_row_and_is_stable():
    first = make_message_id(42, "audit_event:9:user:3", "zi.example.go.id")
    assert first == make_message_id(42, "audit_event:9:user:3", "zi.example.go.id")
    assert re.fullmatch(r"<outbox-42\.[0-9a-f]{16}@zi\.example\.go\.id>", first)
    assert first != make_message_id(43, "audit_event:9:user:3", "zi.example.go.id")
