"""`zi rubric load` and `zi rubric list`: stored once by id and hash, never changed under an id."""

from __future__ import annotations

from importlib import resources

from sqlalchemy import func, select

from tests.workflow.test_audit import run_cli
from workflow.db import db
from workflow.models import RubricVersion

DATA = resources.files("workflow.lke") / "data"


def _write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def _count() -> int:
    return db.session.execute(select(func.count(RubricVersion.id))).scalar_one()


def test_load_yaml_under_a_new_id_then_again_changes_nothing(app, tmp_path):
    path = _write(tmp_path, "lke.yaml", (DATA / "permenpanrb-90-2021.yaml").read_bytes())
    first = run_cli(app, "rubric", "load", path, "--id", "lke-uji-2026")
    assert first.exit_code == 0, first.output
    assert first.output.startswith("loaded lke-uji-2026 (yaml, permenpanrb-90-2021, "
                                   "113 questions)")
    row = db.session.get(RubricVersion, "lke-uji-2026")
    stored_at, sha = row.loaded_at, row.content_sha256
    total = _count()
    again = run_cli(app, "rubric", "load", path, "--id", "lke-uji-2026")
    assert again.exit_code == 0, again.output
    assert again.output.startswith("unchanged lke-uji-2026")
    db.session.expire_all()
    row = db.session.get(RubricVersion, "lke-uji-2026")
    assert (row.loaded_at, row.content_sha256, _count()) == (stored_at, sha, total)


def test_other_content_under_a_stored_id_is_refused_unless_given_a_new_id(app, tmp_path):
    original = (DATA / "permenpanrb-90-2021.yaml").read_bytes()
    path = _write(tmp_path, "a.yaml", original)
    assert run_cli(app, "rubric", "load", path, "--id", "lke-uji").exit_code == 0
    changed = _write(tmp_path, "b.yaml", original.replace(b"title:", b"title: Revisi", 1))
    refused = run_cli(app, "rubric", "load", changed, "--id", "lke-uji")
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines() == [
        "Error: b.yaml: Rubric version lke-uji exists with other content; load it under a "
        "new id"]
    accepted = run_cli(app, "rubric", "load", changed, "--id", "lke-uji-2")
    assert accepted.exit_code == 0, accepted.output
    db.session.expire_all()
    assert (db.session.get(RubricVersion, "lke-uji").content_sha256
            != db.session.get(RubricVersion, "lke-uji-2").content_sha256)


def test_a_built_in_id_keeps_its_content_even_before_first_use(app, tmp_path):
    original = (DATA / "permenpanrb-90-2021.yaml").read_bytes()
    changed = _write(tmp_path, "c.yaml", original.replace(b"title:", b"title: Palsu", 1))
    assert _count() == 0
    refused = run_cli(app, "rubric", "load", changed)  # the file's own id: permenpanrb-90-2021
    assert refused.exit_code == 1 and "permenpanrb-90-2021 exists" in refused.output
    same = run_cli(app, "rubric", "load", _write(tmp_path, "d.yaml", original))
    assert same.exit_code == 0 and same.output.startswith("unchanged permenpanrb-90-2021")


def test_load_portalrb_master_list_and_list_every_version(app, tmp_path):
    path = _write(tmp_path, "master.json", (DATA / "master-soal-lkezi-2026.json").read_bytes())
    loaded = run_cli(app, "rubric", "load", path, "--id", "portalrb-uji")
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.startswith("loaded portalrb-uji (portalrb-master, permenpanrb-90-2021, "
                                    "113 questions)")
    listed = run_cli(app, "rubric", "list")
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t") for line in listed.output.strip().splitlines()]
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("lke-portalrb-2026", "portalrb-master", "113"),
        ("permenpanrb-52-2014", "yaml", "76"),
        ("permenpanrb-90-2021", "yaml", "113"),
        ("portalrb-uji", "portalrb-master", "113")]


def test_a_file_that_is_no_rubric_is_refused_with_one_line(app, tmp_path):
    for name, content in (("x.json", b'{"tahun": 2026}'), ("x.yaml", b"- a\n- b\n"),
                          ("y.yaml", b"meta: {id: permenpanrb-1-1999}\n")):
        result = run_cli(app, "rubric", "load", _write(tmp_path, name, content))
        assert result.exit_code == 1, result.output
        assert len(result.output.strip().splitlines()) == 1
        assert result.output.startswith(f"Error: {name}: ")
    assert _count() == 0
