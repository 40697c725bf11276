"""Which evidence files are accepted: the type is read from the content, never the name.

``filetype`` reads the leading bytes (magic numbers, and the entries of an Office zip). The
file's name must then agree: a PNG called ``laporan.pdf`` is refused like an executable,
naming the type found, so nobody downloads something other than what the name promised.

Pure module: it imports neither Flask nor the database.
"""

from __future__ import annotations

from dataclasses import dataclass

import filetype

__all__ = ["ALLOWED", "FileTypeRefused", "detect"]

# detected MIME type -> the file name extensions that may carry it
ALLOWED: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "image/tiff": ("tif", "tiff"),
    "application/msword": ("doc",),
    "application/vnd.ms-excel": ("xls",),
    "application/vnd.ms-powerpoint": ("ppt",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
    "application/vnd.oasis.opendocument.text": ("odt",),
    "application/vnd.oasis.opendocument.spreadsheet": ("ods",),
    "application/vnd.oasis.opendocument.presentation": ("odp",),
}


@dataclass(frozen=True)
class FileTypeRefused(Exception):
    """``detected``: the type read from the content (None: not recognised)."""

    detected: str | None
    reason: str  # "not_allowed" or "name_mismatch"


def detect(data: bytes, filename: str) -> str:
    """The content's MIME type, if it is allowed and the name's extension agrees."""
    detected = filetype.guess_mime(data)
    if detected not in ALLOWED:
        raise FileTypeRefused(detected, "not_allowed")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED[detected]:
        raise FileTypeRefused(detected, "name_mismatch")
    return detected
