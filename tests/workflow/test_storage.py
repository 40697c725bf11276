"""The evidence store: by hash, never overwritten, a second write of the same bytes is a no-op."""

from __future__ import annotations

import hashlib

import pytest

from workflow.lke.storage import DirectoryStore


def test_files_are_stored_once_by_their_hash(tmp_path):
    store = DirectoryStore(tmp_path / "evidence")
    sha = store.put(b"bukti dukung")
    assert sha == hashlib.sha256(b"bukti dukung").hexdigest()
    path = tmp_path / "evidence" / sha[:2] / sha
    assert path.read_bytes() == b"bukti dukung"
    stamp = path.stat().st_mtime_ns
    assert store.put(b"bukti dukung") == sha
    assert path.stat().st_mtime_ns == stamp
    with store.open(sha) as stored:
        assert stored.read() == b"bukti dukung"
    assert [p.name for p in path.parent.iterdir()] == [sha]  # no temporary file left


def test_only_hashes_address_files(tmp_path):
    store = DirectoryStore(tmp_path)
    with pytest.raises(ValueError):
        store.open("../../etc/passwd")
    with pytest.raises(FileNotFoundError):
        store.open("0" * 64)
