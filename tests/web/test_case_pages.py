"""The case pages: state, diagram, actions with their unmet conditions, reasons, history; the
declaration and proposal forms; stale versions; scope and CSRF."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import World
from tests.web.case_helpers import (
    GOOD_FORM,
    PAGE_LIMIT,
    opened,
    person,
    text_of,
)
from tests.web.helpers import csrf_of
from workflow import cases
from workflow.clock import JAKARTA
from workflow.db import db
from workflow.models import AuditEvent, Case, User

Pages = Callable[[str], FlaskClient]


def _version(case_id: int) -> int:
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case is not None
    return case.version


def _fire(client: FlaskClient, case_id: int, trigger: str, version: int | None = None,
          reason: str | None = None, token: str | None = None) -> object:
    form = {"csrf_token": token or csrf_of(client, f"/kasus/{case_id}"), "trigger": trigger,
            "expected_version": str(_version(case_id) if version is None else version)}
    if reason is not None:
        form["reason"] = reason
    return client.post(f"/kasus/{case_id}/transisi", data=form)


def test_a_coordinator_fills_the_declaration_and_starts_building_through_the_pages(
        page_client: Pages, world: World) -> None:
    case = opened(world)
    client = page_client("coordinator")
    page = client.get(f"/kasus/{case.id}").get_data(as_text=True)
    assert 'name="trigger" value="start_building"' in page
    assert "Pimpinan unit belum menandatangani Pakta Integritas" not in page  # no declaration yet
    assert "Data pencanangan belum diisi" in page  # the unmet condition, before the button

    form_page = client.get(f"/kasus/{case.id}/pencanangan").get_data(as_text=True)
    version = re.search(r'name="expected_version" value="(\d+)"', form_page)
    assert version is not None
    saved = client.post(f"/kasus/{case.id}/pencanangan", data={
        **GOOD_FORM, "csrf_token": csrf_of(client, f"/kasus/{case.id}/pencanangan"),
        "expected_version": version.group(1)})
    assert saved.status_code == 302 and saved.headers["Location"] == f"/kasus/{case.id}"
    db.session.expire_all()
    declaration = db.session.get(Case, case.id).declaration
    assert declaration is not None and declaration.team == ["Ketua Tim", "Anggota Satu"]
    assert declaration.head_signed and declaration.pakta_signed == 30

    page = client.get(f"/kasus/{case.id}").get_data(as_text=True)
    assert "Data pencanangan belum diisi" not in page  # nothing unmet any more
    fired = _fire(client, case.id, "start_building")
    assert fired.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "pembangunan"
    after = client.get(f"/kasus/{case.id}")
    shown = text_of(after.get_data(as_text=True))
    assert "Mulai pembangunan: berhasil." in shown
    assert 'aria-current="step"' in after.get_data(as_text=True)
    # the history, in Asia/Jakarta
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "start_building")).scalar_one()
    local = event.occurred_at.replace(tzinfo=event.occurred_at.tzinfo or UTC).astimezone(JAKARTA)
    assert f"{local:%H:%M} WIB" in shown
    assert len(after.data) < PAGE_LIMIT


def test_the_diagram_is_drawn_on_the_page_with_the_current_state_highlighted(
        page_client: Pages, world: World) -> None:
    case = opened(world)
    page = page_client("tpn").get(f"/kasus/{case.id}").get_data(as_text=True)
    svg = re.search(r"<svg.*?</svg>", page, re.S)
    assert svg is not None
    drawing = svg.group(0)
    for state in ("Pencanangan", "Pembangunan", "Pengusulan", "Reviu TPN", "Penetapan",
                  "Dicabut", "Ditarik"):
        assert f">{state}</text>" in drawing
    for trigger in ("Mulai pembangunan", "Ajukan ke TPI", "Kembalikan ke unit (TPI)",
                    "Tarik dari proses"):
        assert f">{trigger}</text>" in drawing
    current = re.search(r'<g aria-current="step" class="current">.*?</g>', drawing, re.S)
    assert current is not None and ">Pencanangan</text>" in current.group(0)
    assert drawing.count('aria-current="step"') == 1
    assert "href" not in drawing and "https://" not in page  # nothing loaded from elsewhere


def test_a_refused_transition_lists_each_unmet_condition(page_client: Pages,
                                                         world: World) -> None:
    case = opened(world)
    cases.put_declaration(person(world, "coordinator"), case.id, {
        "staff_total": 40, "pakta_signed": 10, "head_signed": False,
        "commitment_statement": "", "team": []}, _version(case.id))
    client = page_client("coordinator")
    refused = _fire(client, case.id, "start_building")
    assert refused.status_code == 422
    shown = text_of(refused.get_data(as_text=True))
    assert "Ditolak. Syarat yang belum terpenuhi:" in shown
    for message in ("Pimpinan unit belum menandatangani Pakta Integritas",
                    "Pernyataan komitmen belum dicatat", "Tim Zona Integritas belum dibentuk"):
        assert message in shown
    assert _version(case.id) == _version(case.id)
    assert db.session.get(Case, case.id).state == "pencanangan"


def test_unmet_conditions_in_english_for_a_user_who_chose_it(page_client: Pages,
                                                              world: World) -> None:
    case = opened(world)
    db.session.get(User, world.user_ids["coordinator"]).language = "en"
    db.session.commit()
    client = page_client("coordinator")
    shown = text_of(client.get(f"/kasus/{case.id}").get_data(as_text=True))
    assert "The declaration (pencanangan) has not been entered" in shown
    assert "Start building" in shown and "Declaration (pencanangan)" in shown
    refused = text_of(_fire(client, case.id, "start_building").get_data(as_text=True))
    assert "Refused. Conditions not met:" in refused


def test_a_stale_version_says_the_data_was_changed_by_someone_else(page_client: Pages,
                                                                  world: World) -> None:
    case = opened(world)
    client = page_client("coordinator")
    shown_version = _version(case.id)
    cases.put_declaration(person(world, "coordinator"), case.id, {
        "staff_total": 40, "pakta_signed": 30, "head_signed": True,
        "commitment_statement": "Komitmen", "team": ["Ketua"]}, shown_version)
    # a transition posted with the version the page showed
    stale = _fire(client, case.id, "start_building", version=shown_version)
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Data telah diubah orang lain" in page
    assert f'href="/kasus/{case.id}"' in page and "Muat ulang" in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "pencanangan"
    # the declaration form too, keeping what was typed
    stale = client.post(f"/kasus/{case.id}/pencanangan", data={
        **GOOD_FORM, "team": "Tim Baru", "csrf_token": csrf_of(client),
        "expected_version": str(shown_version)})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Data telah diubah orang lain" in page and ">Tim Baru</textarea>" in page
    assert f'href="/kasus/{case.id}/pencanangan"' in page
    assert db.session.get(Case, case.id).declaration.team == ["Ketua"]


def test_a_reason_is_required_where_the_trigger_needs_one(page_client: Pages,
                                                          world: World) -> None:
    case = opened(world)
    client = page_client("inspectorate")
    page = client.get(f"/kasus/{case.id}").get_data(as_text=True)
    assert 'id="reason-withdraw"' in page and 'for="reason-withdraw"' in page
    refused = _fire(client, case.id, "withdraw", reason="   ")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert re.search(r'<p class="field-error" id="reason-withdraw-error">Alasan wajib diisi</p>',
                     page)
    done = _fire(client, case.id, "withdraw", reason="Kasus KKN di instansi")
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "ditarik"
    shown = text_of(client.get(f"/kasus/{case.id}").get_data(as_text=True))
    assert "Kasus KKN di instansi" in shown and "Tarik dari proses" in shown


def test_the_declaration_form_shows_field_errors_beside_the_fields_and_keeps_what_was_typed(
        page_client: Pages, world: World) -> None:
    case = opened(world)
    client = page_client("coordinator")
    response = client.post(f"/kasus/{case.id}/pencanangan", data={
        "staff_total": "empat puluh", "pakta_signed": "50", "commitment_statement": "Janji",
        "team": "Ketua", "csrf_token": csrf_of(client), "expected_version": str(_version(case.id))})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="staff_total"[^>]*value="empat puluh" aria-invalid="true"', page)
    assert '<p class="field-error" id="staff_total-error">bukan bilangan bulat</p>' in page
    assert 'value="50"' in page and ">Janji</textarea>" in page and ">Ketua</textarea>" in page
    # what only the use case knows (more signatories than staff) beside its field too
    response = client.post(f"/kasus/{case.id}/pencanangan", data={
        **GOOD_FORM, "staff_total": "10", "pakta_signed": "11", "csrf_token": csrf_of(client),
        "expected_version": str(_version(case.id))})
    assert response.status_code == 400
    assert '<p class="field-error" id="pakta_signed-error">melebihi staff_total</p>' in \
        response.get_data(as_text=True)
    assert db.session.get(Case, case.id).declaration is None


def test_the_proposal_form_records_the_90_2021_conditions(page_client: Pages,
                                                          world: World) -> None:
    case = opened(world)
    coordinator = person(world, "coordinator")
    cases.put_declaration(coordinator, case.id, {
        "staff_total": 40, "pakta_signed": 30, "head_signed": True,
        "commitment_statement": "Komitmen", "team": ["Ketua"]}, _version(case.id))
    cases.transition(coordinator, case.id, "start_building", _version(case.id))
    client = page_client("coordinator")
    form = {"bpk_opinion": "WTP", "sakip_instansi": "A", "indeks_rb": "75,5", "spip_level": "3",
            "tlhp_percent": "100", "lhkpn_percent": "100", "lhkasn_percent": "abc",
            "sakip_unit": "B", "csrf_token": csrf_of(client),
            "expected_version": str(_version(case.id))}
    refused = client.post(f"/kasus/{case.id}/pengusulan", data=form)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert 'id="lhkasn_percent-error">Bukan angka desimal</p>' in page
    assert 'value="75,5"' in page
    saved = client.post(f"/kasus/{case.id}/pengusulan", data={**form, "lhkasn_percent": "99.5"})
    assert saved.status_code == 302
    db.session.expire_all()
    proposal = db.session.get(Case, case.id).proposal
    assert proposal is not None
    assert proposal["indeks_rb"] == "75.5" and proposal["spip_level"] == 3
    page = client.get(f"/kasus/{case.id}/pengusulan").get_data(as_text=True)
    assert '<option value="WTP" selected>' in page and 'value="99.5"' in page


def test_people_outside_the_case_get_a_403_page(page_client: Pages, world: World) -> None:
    case = opened(world)
    for who in ("other_coordinator", "foreign_inspectorate"):
        client = page_client(who)
        for path in (f"/kasus/{case.id}", f"/kasus/{case.id}/pencanangan",
                     f"/kasus/{case.id}/pengusulan"):
            response = client.get(path)
            assert response.status_code == 403, (who, path)
            assert response.mimetype == "text/html"
            assert "Unit di luar cakupan Anda" in response.get_data(as_text=True)
        token = csrf_of(client)
        refused = client.post(f"/kasus/{case.id}/transisi", data={
            "csrf_token": token, "trigger": "withdraw", "reason": "x",
            "expected_version": str(_version(case.id))})
        assert refused.status_code == 403 and refused.mimetype == "text/html"
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "pencanangan"


def test_every_case_form_refuses_a_post_without_the_csrf_token(page_client: Pages,
                                                               world: World) -> None:
    case = opened(world)
    client = page_client("coordinator")
    version = str(_version(case.id))
    posts = {f"/kasus/{case.id}/transisi": {"trigger": "withdraw", "reason": "x"},
             f"/kasus/{case.id}/pencanangan": GOOD_FORM,
             f"/kasus/{case.id}/pengusulan": {"bpk_opinion": "WTP"},
             f"/unit/{world.unit.id}/kasus": {"target": "WBBM", "year": "2026",
                                               "regulation": "permenpanrb-52-2014"}}
    for path, form in posts.items():
        response = client.post(path, data={**form, "expected_version": version})
        assert response.status_code == 400, path
    db.session.expire_all()
    assert _version(case.id) == int(version)
    assert db.session.get(Case, case.id).declaration is None


def test_the_pages_own_policy_lets_their_stylesheet_and_script_load(page_client: Pages,
                                                                    world: World) -> None:
    """The API's ``default-src 'none'`` would block the pages' own stylesheet (every page
    unstyled, a table wider than a phone): the pages allow this host, and nothing else."""
    case = opened(world)
    client = page_client("coordinator")
    for path in ("/", f"/unit/{world.unit.id}", f"/kasus/{case.id}",
                 f"/kasus/{case.id}/pencanangan", "/static/zi.css"):
        policy = client.get(path).headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "style-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy and "https:" not in policy
    assert client.get("/api/v1/units", headers=world.auth("coordinator")).headers[
        "Content-Security-Policy"].startswith("default-src 'none'")


def test_the_pages_stylesheet_and_script_are_served(page_client: Pages) -> None:
    """The app has no /static of its own to shadow the pages' (it answered a JSON 404)."""
    client = page_client("coordinator")
    page = client.get("/").get_data(as_text=True)
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.mimetype in ("text/css", "text/javascript"), asset
    assert '/static/zi.css"' in page and "/static/htmx-2.0.4.min.js" in page


def test_the_proposal_link_is_offered_on_90_2021_cases_only(page_client: Pages,
                                                            world: World) -> None:
    case_52 = opened(world)
    case_90 = cases.open_case(person(world, "other_coordinator"), world.other_unit.id, "WBK", 2026,
                              "permenpanrb-90-2021")
    client = page_client("admin")
    assert f"/kasus/{case_52.id}/pengusulan" not in client.get(f"/kasus/{case_52.id}").get_data(
        as_text=True)
    assert f"/kasus/{case_90.id}/pengusulan" in client.get(f"/kasus/{case_90.id}").get_data(
        as_text=True)
