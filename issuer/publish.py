"""Status lists and the trust bundle as static, signed files in ``<data_dir>/publish`` (docs/publishing.md).

The folder mirrors the issuer's URL paths, so any static server or CDN can serve it as it is, and the issuer's
own endpoints serve these same files (``issuer.web.status_routes``, ``issuer.web.trust_routes``)::

    status/<n>        Status List Token, JWT (draft-ietf-oauth-status-list §5.1; what a credential's uri names)
    status/<n>.cwt    the same list as a CWT (§5.2); what verifiers sync
    trust/base        the trust bundle without status lists: VICAL + document signers (``specs.trust.bundle``)
    trust/index       the signed index naming every file above by SHA-256 (``specs.trust.index``)
    trust/changes/<from>-<to>  status change logs from earlier sequences to this one (``issuer.changelog``;
                      ``specs.trust.changes``, a mobileid extension, not part of the Token Status List spec)
    trust/bundle      the whole bundle in one file, as before (small deployments, older verifiers)
    trust/root.pem    the IACA verifiers pin

A file is signed again only when what it carries changed (a list's bits, the set of document signers) or
when half of its lifetime has passed (a token past ``exp`` is refused by verifiers). Every write is atomic
(temporary file, rename; one ``os.sync()`` before the index that names the files) and one publication at a
time holds ``.lock``, so several workers can publish into one folder. ``.state.json`` (not to be served)
remembers what each file was made from.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from issuer.changelog import DEFAULT_KEEP, DEFAULT_SPACING, prune_change_logs, published_list, write_change_logs
from issuer.keys import IssuerKeys
from specs.catalogue import Catalogue
from specs.cose.sign1 import CoseSign1
from specs.errors import MobileIdError
from specs.io.files import atomic_write
from specs.status import StatusList, issue_cwt, issue_jwt
from specs.trust import CertificateInfo, StatusListToken, TrustBundle, Vical, sign_trust_bundle, sign_vical
from specs.trust.bundle import MAX_BUNDLE
from specs.trust.changes import ListChanges, list_changes
from specs.trust.index import BASE_PATH, INDEX_PATH, MAX_INDEX, IndexEntry, TrustIndex, sign_trust_index

__all__ = ["BUNDLE_LIFETIME", "PROVIDER", "TOKEN_LIFETIME", "TTL_SECONDS", "ListSource", "PublishReport",
           "publish", "publish_dir"]

TOKEN_LIFETIME = dt.timedelta(hours=24)  # a status list token's exp
BUNDLE_LIFETIME = dt.timedelta(hours=24)  # the base's and the index's nextUpdate; verifiers refuse them past it
TTL_SECONDS = 3600  # the tokens' ttl (§5.1) and every file's Cache-Control max-age
PROVIDER = "mobileid Licensing Office"
BUNDLE_PATH, ROOT_PATH, STATE = "trust/bundle", "trust/root.pem", ".state.json"


@dataclass(frozen=True, slots=True)
class ListSource:
    """One status list as the issuer holds it: its URI (``.../status/<number>``) and its bits."""

    uri: str
    status_list: StatusList

    @property
    def number(self) -> int:
        tail = self.uri.rsplit("/", 1)[-1]
        if not tail.isdigit() or int(tail) < 1:
            raise ValueError(f"a status list URI ends in /status/<number>: {self.uri}")
        return int(tail)


@dataclass(frozen=True, slots=True)
class PublishReport:
    folder: Path
    sequence: int
    lists: int
    signed: tuple[str, ...]  # the paths written by this publication (empty: nothing changed)
    total_bytes: int  # base + every CWT: what a verifier holds


def publish_dir(data_dir: Path) -> Path:
    return data_dir / "publish"


def _doc_types() -> tuple[str, ...]:
    return tuple(sorted({t.doctype for t in Catalogue.load_default() if t.doctype}))


def _fresh(recorded: dict[str, Any] | None, content: str, now: dt.datetime, lifetime: dt.timedelta) -> bool:
    """Still good: made from the same content, and less than half its lifetime old."""
    return recorded is not None and recorded.get("content") == content and (
        0 <= now.timestamp() - float(recorded.get("at", 0)) < lifetime.total_seconds() / 2)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read_state(folder: Path) -> dict[str, Any]:
    try:
        value = json.loads((folder / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _status_base(public_url: str) -> str:
    return f"{public_url.rstrip('/')}/status/"


def publish(folder: Path, keys: IssuerKeys, *, public_url: str, lists: Iterable[ListSource], now: dt.datetime,
            whole_bundle: bool = True, keep_logs: int = DEFAULT_KEEP,
            log_spacing: int = DEFAULT_SPACING) -> PublishReport:
    """Bring ``folder`` up to date with ``lists`` (taken one at a time: memory stays bounded by one list).

    ``whole_bundle`` also writes ``trust/bundle`` (every token inside one file) while it fits under the 4 MiB
    ``specs.trust.bundle`` allows; past that only the split form is published (``/trust/bundle`` then is 404).
    ``keep_logs``, ``log_spacing``: change logs are offered from the previous publication and the earliest of
    each of the last ``keep_logs`` periods of ``log_spacing`` seconds (0: none; ``issuer.changelog``).
    """
    if keys.vical_signer is None or keys.vical is None:
        raise RuntimeError("the issuer has no VICAL signer key (start the service once to create it)")
    now = now.replace(microsecond=0)
    with _locked(folder):
        state = _read_state(folder)
        recorded_lists: dict[str, Any] = state.get("lists", {})
        written: list[str] = []
        entries: list[IndexEntry] = []
        cwts: list[tuple[int, bytes, bytes]] = []
        whole_size = 0
        new_lists: dict[str, Any] = {}
        total = 0
        steps: list[ListChanges] | None = [] if recorded_lists else None  # what changed since the last index
        status_base = ""  # where the lists were made (public_url may have moved since): from their URIs
        for source in lists:
            status_base = status_base or source.uri[: -len(str(source.number))]
            if source.uri != f"{status_base}{source.number}":
                raise ValueError(f"status list {source.uri} is not under {status_base}")
            content = _content(source.status_list)
            key = str(source.number)
            cwt_path = folder / f"status/{source.number}.cwt"
            if _fresh(recorded_lists.get(key), content, now, TOKEN_LIFETIME) and cwt_path.is_file():
                new_lists[key] = recorded_lists[key]
                cwt = cwt_path.read_bytes()
            else:
                was = (recorded_lists.get(key) or {}).get("content")
                if steps is not None and was != content:
                    steps = _step(steps, source.number, cwt_path, was, source.status_list)
                jwt, cwt = _tokens(keys, source.uri, source.status_list, now)
                # fsync once (os.sync() below) rather than once per list: thousands of lists at national scale
                atomic_write(folder / f"status/{source.number}", jwt.encode(), fsync=False, mode=0o644)
                atomic_write(cwt_path, cwt, fsync=False, mode=0o644)
                written += [f"status/{source.number}", f"status/{source.number}.cwt"]
                new_lists[key] = {"content": content, "at": now.timestamp()}
            entries.append(IndexEntry(source.number, hashlib.sha256(cwt).digest(), len(cwt)))
            total += len(cwt)
            if whole_bundle:
                jwt_bytes = (folder / f"status/{source.number}").read_bytes()
                cwts.append((source.number, jwt_bytes, cwt))
                whole_size += len(jwt_bytes) + len(cwt)
                if whole_size > MAX_BUNDLE - 64 * 1024:  # too big for one file (verifiers refuse it): split only
                    whole_bundle, cwts = False, []
                    with contextlib.suppress(FileNotFoundError):
                        (folder / BUNDLE_PATH).unlink()
        if steps is not None and set(new_lists) != set(recorded_lists):
            steps = None  # a list appeared or went away: no log can say that
        base = _base(folder, keys, public_url, now, state, written)
        total += len(base)
        index_changed = written or not (folder / INDEX_PATH).is_file() or not _fresh(
            state.get("index"), "", now, BUNDLE_LIFETIME)
        # grows with every index; a lost .state.json must not restart it below what verifiers hold (they
        # refuse an index older than their copy's): then the published index says where it was
        previous = int(state["sequence"]) if "sequence" in state else _published_sequence(folder)
        sequence = max(previous + 1, int(now.timestamp())) if index_changed else previous
        if index_changed:
            logs = write_change_logs(folder, keys, state, issuer=public_url.rstrip("/"), steps=steps,
                                     previous=previous, sequence=sequence, now=now, expires_at=now + TOKEN_LIFETIME,
                                     keep=keep_logs, spacing=log_spacing)
            written += [log.path(sequence) for log in logs]
            os.sync()  # every file the index names is on disk before the index is
            index = TrustIndex(public_url.rstrip("/"), now, now + BUNDLE_LIFETIME, sequence,
                               IndexEntry(0, hashlib.sha256(base).digest(), len(base)),
                               status_base or _status_base(public_url),
                               tuple(sorted(entries, key=lambda e: e.number)), logs)
            atomic_write(folder / INDEX_PATH, sign_trust_index(index, keys.vical_signer, (keys.vical,)), mode=0o644)
            written.append(INDEX_PATH)
            prune_change_logs(folder, sequence, logs)
            state["index"] = {"content": "", "at": now.timestamp()}
        if whole_bundle and (index_changed or not (folder / BUNDLE_PATH).is_file()):
            atomic_write(folder / BUNDLE_PATH, _whole_bundle(keys, public_url, now, status_base, cwts), mode=0o644)
            written.append(BUNDLE_PATH)
        root = keys.iaca.public_bytes(Encoding.PEM)
        if not (folder / ROOT_PATH).is_file() or (folder / ROOT_PATH).read_bytes() != root:
            atomic_write(folder / ROOT_PATH, root, mode=0o644)
            written.append(ROOT_PATH)
        if written:
            state.update(sequence=sequence, lists=new_lists)
            atomic_write(folder / STATE, json.dumps(state).encode())
        return PublishReport(folder, sequence, len(entries), tuple(written), total)


def _content(status_list: StatusList) -> str:
    return hashlib.sha256(bytes([status_list.bits]) + status_list.data).hexdigest()


def _step(steps: list[ListChanges], number: int, cwt_path: Path, was: Any,
          new: StatusList) -> list[ListChanges] | None:
    """``steps`` with list ``number``'s changes since its published CWT, or None when they cannot be known (the
    file is not what the last publication recorded: an interrupted one rewrote it)."""
    old = published_list(cwt_path)
    if old is None or _content(old) != was or (old.bits, len(old.data)) != (new.bits, len(new.data)):
        return None
    changes = list_changes(number, old, new)
    return [*steps, changes] if changes is not None else steps


def _published_sequence(folder: Path) -> int:
    try:
        message = CoseSign1.from_cbor((folder / INDEX_PATH).read_bytes(), max_size=MAX_INDEX)
        return TrustIndex.from_cbor(message.payload or b"").sequence
    except (OSError, MobileIdError, ValueError):
        return 0


def _tokens(keys: IssuerKeys, uri: str, status_list: StatusList, now: dt.datetime) -> tuple[str, bytes]:
    jwt = issue_jwt(keys.ds_signer, subject=uri, status_list=status_list, issued_at=now,
                    expires_at=now + TOKEN_LIFETIME, ttl=TTL_SECONDS, x5c=[base64.b64encode(keys.ds_der).decode()])
    cwt = issue_cwt(keys.ds_signer, subject=uri, status_list=status_list, issued_at=now,
                    expires_at=now + TOKEN_LIFETIME, ttl=TTL_SECONDS, x5chain=[keys.ds_der])
    return jwt, cwt


def _signers(keys: IssuerKeys, now: dt.datetime) -> tuple[bytes, ...]:
    # every document signer still within its validity: credentials signed before a rotation keep verifying
    return tuple(c.public_bytes(Encoding.DER) for c in (keys.ds, *keys.previous_ds)
                 if c.not_valid_before_utc <= now <= c.not_valid_after_utc)


def _signed_base(keys: IssuerKeys, public_url: str, now: dt.datetime,
                 lists: tuple[StatusListToken, ...] = ()) -> bytes:
    assert keys.vical_signer is not None and keys.vical is not None
    vical = Vical(provider=PROVIDER, date=now, issue_id=int(now.timestamp()), next_update=now + BUNDLE_LIFETIME,
                  certificate_infos=(CertificateInfo.for_certificate(keys.iaca, _doc_types(),
                                                                     issuing_authority=PROVIDER),))
    bundle = TrustBundle(issuer=public_url.rstrip("/"), issued_at=now, next_update=now + BUNDLE_LIFETIME,
                         vical=sign_vical(vical, keys.vical_signer, (keys.vical,)),
                         document_signers=_signers(keys, now), status_lists=lists)
    return sign_trust_bundle(bundle, keys.vical_signer, (keys.vical,))


def _base(folder: Path, keys: IssuerKeys, public_url: str, now: dt.datetime, state: dict[str, Any],
          written: list[str]) -> bytes:
    """``trust/base``, signed again when the IACA, the signers, the document types or the issuer changed."""
    digest = hashlib.sha256(keys.iaca.public_bytes(Encoding.DER))
    for part in (*_signers(keys, now), *(t.encode() for t in _doc_types()), public_url.rstrip("/").encode()):
        digest.update(hashlib.sha256(part).digest())
    content = digest.hexdigest()
    path = folder / BASE_PATH
    if _fresh(state.get("base"), content, now, BUNDLE_LIFETIME) and path.is_file():
        return path.read_bytes()
    base = _signed_base(keys, public_url, now)
    atomic_write(path, base, mode=0o644)
    written.append(BASE_PATH)
    state["base"] = {"content": content, "at": now.timestamp()}
    return base


def _whole_bundle(keys: IssuerKeys, public_url: str, now: dt.datetime, status_base: str,
                  tokens: list[tuple[int, bytes, bytes]]) -> bytes:
    lists = tuple(StatusListToken(f"{status_base}{n}", jwt.decode(), cwt) for n, jwt, cwt in tokens)
    return _signed_base(keys, public_url, now, lists)
