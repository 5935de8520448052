"""Serving the published folder (``issuer.publish``) the way a static server or CDN would: the file's bytes,
a strong ``ETag`` (its SHA-256, RFC 9110 §8.8.3), ``Cache-Control: public, max-age=<ttl>``, and 304 Not
Modified when ``If-None-Match`` names the current ETag (RFC 9110 §13.1.2). The folder is brought up to date
first, which signs again only what changed."""

from __future__ import annotations

import hashlib

from fastapi import Request
from fastapi.responses import Response

from issuer.publish import TTL_SECONDS
from issuer.trust_bundle import publish_from_db
from issuer.web.state import state

__all__ = ["etag", "matches", "serve_published"]


def etag(data: bytes) -> str:
    return f'"{hashlib.sha256(data).hexdigest()}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 §13.1.2: a list of entity tags or ``*``; weak comparison (a ``W/`` prefix still matches)."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match[:4096].split(",")]
    return "*" in tags or tag in tags


def serve_published(request: Request, path: str, media_type: str) -> Response:
    st = state(request)
    with st.sessions() as session:
        report = publish_from_db(session, st.keys(session), data_dir=st.settings.data_dir,
                                 public_url=st.settings.public_url, now=st.now())
        session.rollback()  # read only
    try:
        data = (report.folder / path).read_bytes()
    except FileNotFoundError:
        return Response(status_code=404)
    tag = etag(data)
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={TTL_SECONDS}"}
    if matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)
