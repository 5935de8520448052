"""Selective presentation (RFC 9901 §5.2): release the disclosures for the chosen claim paths."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from specs.crypto import Signer
from specs.jose import Jws
from specs.sdjwt.key_binding import create_kb_jwt
from specs.sdjwt.processing import Path, index_disclosures, process
from specs.sdjwt.sd_jwt import SdJwt

__all__ = ["present", "select"]


def _related(a: Path, b: Path) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def select(sd_jwt: SdJwt, paths: Iterable[Path]) -> SdJwt:
    """Only the disclosures on the way to, or inside, each of ``paths`` (e.g. ``("address", "city")``)."""
    jws = Jws.parse(sd_jwt.issuer_jwt)
    alg = jws.payload.get("_sd_alg", "sha-256")
    by_digest = index_disclosures(sd_jwt.disclosures, alg)
    processed = process(jws.payload, by_digest)
    wanted = [tuple(p) for p in paths]
    keep: set[str] = set()
    for digest, path in processed.paths.items():
        if any(_related(path, w) and (len(path) <= len(w) or path[: len(w)] == w) for w in wanted):
            keep.add(digest)
    for digest in list(keep):  # a nested disclosure needs every disclosure above it
        parent = processed.parents.get(digest)
        while parent is not None:
            keep.add(parent)
            parent = processed.parents.get(parent)
    return sd_jwt.with_disclosures(d for digest, d in by_digest.items() if digest in keep)


def present(sd_jwt: SdJwt, paths: Iterable[Path], *, holder: Signer | None = None, aud: str | None = None,
            nonce: str | None = None, iat: dt.datetime | None = None) -> SdJwt:
    """``select`` and, when a holder signer is given, append a KB-JWT for ``aud`` and ``nonce``."""
    chosen = select(sd_jwt, paths)
    if holder is None:
        return chosen
    if aud is None or nonce is None or iat is None:
        raise ValueError("a KB-JWT needs aud, nonce and iat")
    return create_kb_jwt(holder, chosen, aud=aud, nonce=nonce, iat=iat)
