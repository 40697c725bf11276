"""Where evidence files live: a small interface, and a directory as its default.

Files are addressed by their SHA-256, so the same bytes are stored once, a stored file is
never overwritten, and a file written for a transaction that then rolled back is an
harmless orphan (nothing points at it; storing it again is a no-op). A store only keeps
bytes: who may read them is decided by the use cases in :mod:`workflow.lke.evidence`.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

__all__ = ["DirectoryStore", "EvidenceStore", "sha256_of"]

_SHA256 = re.compile(r"[0-9a-f]{64}")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class EvidenceStore(Protocol):
    """Content-addressed bytes."""

    def put(self, data: bytes) -> str:
        """Store ``data`` (if not there yet) and return its SHA-256."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """The stored bytes, for reading; ``FileNotFoundError`` if they are not there."""
        ...


class DirectoryStore:
    """Files under ``root/<first two hex digits>/<sha256>`` (configuration: ``STORAGE_DIR``).

    A file appears under its final name only once complete (write to a temporary name in
    the same directory, fsync, rename), so a reader never sees half a file.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        sha256 = sha256_of(data)
        path = self._path(sha256)
        if path.is_file():
            return sha256
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return sha256

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")
