"""End to end: a transition fired over HTTP reaches the people concerned by e-mail."""

from __future__ import annotations

from notifications.dispatcher import dispatch_once
from tests.api.helpers import fill_worksheet, fire, get_case, to_pengusulan


def test_a_submission_reaches_the_inspectorate_in_indonesian(client, world, smtp, delivery):
    case = to_pengusulan(client, world)

    report = dispatch_once(delivery)

    assert report.failed == 0 and report.sent == report.claimed
    for inspector in ("inspectorate@uji.go.id", "conflicted_inspectorate@uji.go.id"):
        subjects = [mail.subject for mail in smtp.to(inspector)]
        assert subjects == ["[ZI] Unit U1 memulai tahap pembangunan",
                            "[ZI] Unit U1 diajukan ke TPI"]
    submitted = smtp.to("inspectorate@uji.go.id")[1]
    text = submitted.part("plain")
    assert "Unit U1 diajukan ke TPI." in text
    assert "Mohon TPI melakukan evaluasi dan penilaian atas unit ini." in text
    assert f"http://zi.test/kasus/{case['id']}" in text
    assert submitted.message["Content-Language"] == "id"
    assert smtp.to("coordinator@uji.go.id") == []  # the actor is not told of their own act
    assert smtp.to("foreign_inspectorate@uji.go.id") == []


def test_a_return_reaches_the_unit_with_its_reason(client, world, smtp, delivery):
    case = to_pengusulan(client, world)
    assert fill_worksheet(client, world, case, "tpi", "inspectorate").status_code == 200
    response = fire(client, world, get_case(client, world, case["id"]), "tpi_return",
                    "inspectorate",
                    reason="Bukti area Penguatan Pengawasan belum lengkap")
    assert response.status_code == 200, response.json

    dispatch_once(delivery)

    [returned] = smtp.to("coordinator@uji.go.id")
    assert returned.subject == "[ZI] Unit U1 dikembalikan oleh TPI untuk perbaikan"
    assert "Alasan          : Bukti area Penguatan Pengawasan belum lengkap" in (
        returned.part("plain"))
    assert "Bukti area Penguatan Pengawasan belum lengkap" in returned.part("html")
    assert "Pengusulan -> Pembangunan" in returned.part("plain")
    assert smtp.to("other_coordinator@uji.go.id") == []
