"""Evidence files behind signed links: ``GET /files/evidence/<signed>`` needs no token.

PortalRB gets an uploaded file as such a link (``bukti_dukung_unit``). The link names the
evidence row and the file's SHA-256 and expires after ``SIGNED_LINK_DAYS`` (default 30);
altered or expired, it is refused with 403. The file comes from the evidence store
(``STORAGE_DIR``), served as the case's own download route serves it. The key is
``SIGNED_LINK_KEY``, or else a random key kept in ``signed_link.key`` in the instance
folder, so every process of one installation signs alike. Files larger than
``PORTALRB_MAX_LINKED_FILE_MB`` are described, not linked.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, send_file

from workflow.clock import utcnow
from workflow.db import db
from workflow.errors import Forbidden, NotFound
from workflow.lke.signed_links import LinkRefused, sign, verify
from workflow.lke.storage import DirectoryStore
from workflow.models import Evidence

ROUTE = "/files/evidence"
blp = Blueprint("evidence_files", __name__, url_prefix=ROUTE)


def signing_key(app: Flask) -> str:
    configured = str(app.config.get("SIGNED_LINK_KEY") or "")
    if configured:
        return configured
    path = Path(app.instance_path) / "signed_link.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def link_for(row: Evidence) -> str:
    """What PortalRB is given for one piece of evidence: its link, a signed link to its file,
    or, for a file too large to link, its name and size in words."""
    if row.link:
        return row.link
    app = current_app
    limit = int(app.config["PORTALRB_MAX_LINKED_FILE_MB"]) * 2**20
    if (row.size or 0) > limit:
        return (f"{row.filename} ({(row.size or 0) / 2**20:.1f} MB, terlalu besar untuk "
                f"ditautkan / too large to link)")
    token = sign(signing_key(app), row.id, row.sha256 or "", utcnow(),
                 int(app.config["SIGNED_LINK_DAYS"]))
    return f"{str(app.config['PUBLIC_BASE_URL']).rstrip('/')}{ROUTE}/{token}"


@blp.get("/<signed>")
def download(signed: str) -> Response:
    """The file behind a signed link; 403 when the link is altered or expired."""
    try:
        link = verify(signing_key(current_app), signed, utcnow())
    except LinkRefused as err:
        expired = err.code == "link_expired"
        raise Forbidden("Tautan sudah kedaluwarsa" if expired else "Tautan tidak sah",
                        "The link has expired" if expired else "The link is not valid",
                        code=err.code) from err
    row = db.session.get(Evidence, link.evidence_id)
    if row is None or row.sha256 != link.sha256:
        raise NotFound("Berkas tidak ditemukan", "File not found", code="file_not_found")
    try:
        stored = DirectoryStore(Path(current_app.config["STORAGE_DIR"])).open(link.sha256)
    except FileNotFoundError as err:
        raise NotFound("Berkas tidak ditemukan", "File not found",
                       code="file_not_found") from err
    response = send_file(stored, mimetype=row.content_type or "application/octet-stream",
                         as_attachment=True, download_name=row.filename or link.sha256,
                         etag=row.sha256, max_age=0, conditional=False)
    # As the evidence route serves files: never rendered in the browser, never cached.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
