"""``verifier.sync`` against the real issuer: a first sync, then only what changed; every refusal keeps the old
copy (tampered file, rolled-back index, another root, a root not matching --root-sha256, the size cap)."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

import verifier.cli as verifier_cli
from issuer.db.models import StatusListRow
from issuer.status import current_list
from mobileid.cli import cli
from specs.errors import CredentialStatusError, MobileIdError
from specs.status import StatusList, StatusReference
from tests.conftest import Pki
from tests.issuer.conftest import ISSUER_URL, Service
from verifier.sync import fingerprint, sync
from verifier.trust import VerifierTrust
from verifier.verify import _status as _lookup


class Network:
    """The issuer as the verifier reaches it; notes each path asked for and can change what one answers (an
    attacker on the path, or a mirror serving other bytes)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.paths, self.rewrite = inner, [], {}  # type: Any, list[str], dict[str, bytes]

    def get(self, url: str, *, headers: Any = None) -> Any:
        path = url.removeprefix(ISSUER_URL).lstrip("/")
        self.paths.append(path)
        # a rewriting man in the middle answers in full whatever If-None-Match says
        response = self.inner.get(url, headers=None if path in self.rewrite else headers)
        if path in self.rewrite and response.status_code == 200:
            response._content = self.rewrite[path]  # what a tampering mirror or proxy would send
            response.headers["content-length"] = str(len(self.rewrite[path]))
        return response


def _lists(service: Service, count: int) -> None:
    with service.session() as session:
        first = current_list(session, ISSUER_URL, 1024)
        for number in range(2, count + 1):
            session.add(StatusListRow(uri=f"{ISSUER_URL}/status/{number}", bits=2, size=1024,
                                      data=StatusList.empty(1024, 2).data))
        assert first.uri.endswith("/status/1")
        session.commit()


def _set(service: Service, number: int, index: int, value: int) -> None:
    with service.session() as session:
        row = session.scalars(select(StatusListRow).where(StatusListRow.uri == f"{ISSUER_URL}/status/{number}")).one()
        row.data = StatusList(row.bits, row.data).with_statuses({index: value}).data
        session.commit()


def _status(folder: Path, service: Service, number: int, index: int) -> int:
    """The status at ``index`` of list ``number`` as the verifier answers it from its copy (the lookup of
    ``mobileid verify`` and the app: its token verified, the change logs applied on top)."""
    trust = VerifierTrust.from_path(folder, now=service.clock.now)
    try:
        _lookup(StatusReference(f"{ISSUER_URL}/status/{number}", index), None, trust, service.clock.now)
    except CredentialStatusError as exc:
        return {"status.revoked": 1, "status.suspended": 2}[exc.code]
    return 0


def _copy_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def network(service: Service) -> Network:
    _lists(service, 3)
    return Network(service.client)


def test_first_sync_then_only_what_changed(service: Service, network: Network, tmp_path: Path) -> None:
    folder = tmp_path / "trust"
    first = sync(network, ISSUER_URL, folder, now=service.clock.now)
    assert first.pinned == "new" and first.status_lists == 3 and first.document_signers == 1
    assert sorted(network.paths) == ["status/1.cwt", "status/2.cwt", "status/3.cwt", "trust/base", "trust/index",
                                     "trust/root.pem"]
    network.paths.clear()
    again = sync(network, ISSUER_URL, folder, now=service.clock.now)  # nothing changed: the index answers 304
    assert network.paths == ["trust/index"] and again.fetched == 0 and again.sequence == first.sequence

    _set(service, 2, 7, 1)  # one revocation on list 2
    network.paths.clear()
    delta = sync(network, ISSUER_URL, folder, now=service.clock.now, max_logs=0)  # by files (no change log)
    assert network.paths == ["trust/index", "status/2.cwt"], network.paths
    assert delta.fetched == 2 and delta.sequence == first.sequence + 1
    assert _status(folder, service, 2, 7) == 1 and _status(folder, service, 1, 7) == 0
    assert len(list(folder.glob("copy-*"))) == 1  # the old copy is gone once the new one is current


def test_tampered_file_is_refused_and_the_old_copy_kept(service: Service, network: Network, tmp_path: Path) -> None:
    folder = tmp_path / "trust"
    sync(network, ISSUER_URL, folder, now=service.clock.now)
    before = _copy_files(folder)
    _set(service, 3, 5, 2)
    genuine = service.client.get("/status/3.cwt").content
    network.rewrite["status/3.cwt"] = genuine[:-1] + bytes([genuine[-1] ^ 1])  # one bit of the signature
    with pytest.raises(MobileIdError) as refused:
        sync(network, ISSUER_URL, folder, now=service.clock.now, max_logs=0)
    assert refused.value.code == "trust.bundle_signature"
    assert _copy_files(folder) == before and _status(folder, service, 3, 5) == 0

    # a file changed where it is published (the index then names its hash): its own signature refuses it
    published = service.settings.data_dir / "publish" / "status" / "1.cwt"
    _set(service, 1, 9, 1)
    service.client.get("/trust/index")
    data = published.read_bytes()
    forged = data.replace(b"http://localhost/status/1", b"http://localhost/status/X")
    assert forged != data
    published.write_bytes(forged)
    state = json.loads((published.parent.parent / ".state.json").read_text())
    state["index"]["at"] = 0  # let the publisher sign a new index naming the changed file
    (published.parent.parent / ".state.json").write_text(json.dumps(state))
    network.rewrite.clear()
    with pytest.raises(MobileIdError) as refused:
        sync(network, ISSUER_URL, folder, now=service.clock.now, max_logs=0)
    assert refused.value.code == "trust.bundle_signature" and _copy_files(folder) == before


def test_an_older_index_is_refused(service: Service, network: Network, tmp_path: Path) -> None:
    folder = tmp_path / "trust"
    sync(network, ISSUER_URL, folder, now=service.clock.now)
    old_index = service.client.get("/trust/index").content
    _set(service, 1, 3, 1)
    sync(network, ISSUER_URL, folder, now=service.clock.now)
    before = _copy_files(folder)
    network.rewrite["trust/index"] = old_index  # validly signed, still fresh, but from before the revocation
    with pytest.raises(MobileIdError) as refused:
        sync(network, ISSUER_URL, folder, now=service.clock.now)
    assert refused.value.code == "trust.bundle_stale" and _copy_files(folder) == before
    assert _status(folder, service, 1, 3) == 1


def test_another_root_is_refused_unless_re_pinned(service: Service, network: Network, pki: Pki,
                                                  tmp_path: Path) -> None:
    folder = tmp_path / "trust"
    folder.mkdir()
    foreign = pki.iaca.public_bytes(serialization.Encoding.PEM)
    (folder / "root.pem").write_bytes(foreign)  # pinned by an earlier sync: another issuer's root
    with pytest.raises(MobileIdError) as refused:
        sync(network, ISSUER_URL, folder, now=service.clock.now)
    assert refused.value.code == "trust.bundle_signature" and "--pin-new-root" in refused.value.message
    assert _copy_files(folder) == {"root.pem": foreign}
    served = service.client.get("/trust/root.pem").content
    with pytest.raises(MobileIdError) as refused:  # re-pinning, but the out-of-band hash names the old root
        sync(network, ISSUER_URL, folder, now=service.clock.now, pin_new_root=True,
             root_sha256=fingerprint(foreign))
    assert refused.value.code == "trust.sync_root" and _copy_files(folder) == {"root.pem": foreign}
    report = sync(network, ISSUER_URL, folder, now=service.clock.now, pin_new_root=True,
                  root_sha256=fingerprint(served).upper())
    assert report.pinned == "replaced" and (folder / "root.pem").read_bytes() == served


def test_root_sha256_checks_the_first_root(service: Service, network: Network, tmp_path: Path) -> None:
    folder = tmp_path / "trust"
    served = service.client.get("/trust/root.pem").content
    wrong = hashlib.sha256(b"not the root").hexdigest()
    with pytest.raises(MobileIdError) as refused:
        sync(network, ISSUER_URL, folder, now=service.clock.now, root_sha256=wrong)
    assert refused.value.code == "trust.sync_root" and _copy_files(folder) == {}
    digest = fingerprint(served)
    colons = ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
    assert sync(network, ISSUER_URL, folder, now=service.clock.now, root_sha256=colons).pinned == "new"


def test_size_cap_refuses_before_fetching_the_lists(service: Service, network: Network, tmp_path: Path) -> None:
    folder = tmp_path / "trust"
    sync(network, ISSUER_URL, folder, now=service.clock.now)
    before = _copy_files(folder)
    _set(service, 2, 1, 1)
    network.paths.clear()
    with pytest.raises(MobileIdError) as refused:
        sync(network, ISSUER_URL, folder, now=service.clock.now, max_bytes=2000)
    assert refused.value.code == "trust.sync_too_large" and "2000" in refused.value.message
    assert network.paths == ["trust/index"] and _copy_files(folder) == before


def test_cli_sync_reports_fetches_and_refuses_a_wrong_root_hash(service: Service, network: Network,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    monkeypatch.setattr(verifier_cli, "http_factory", lambda: contextlib.nullcontext(service.client))
    folder = tmp_path / "trust"

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["verifier", "sync", ISSUER_URL, "--out", str(folder), *args])
        return result.exit_code, result.output

    code, out = run("--root-sha256", "ab" * 32, "--json")
    assert code == 1 and json.loads(out.splitlines()[0])["error"]["code"] == "trust.sync_root"
    assert not folder.exists() or _copy_files(folder) == {}
    code, out = run("--max-bytes", "100", "--json")
    assert code == 1 and json.loads(out.splitlines()[0])["error"]["code"] == "trust.sync_too_large"
    code, out = run("--json")
    assert code == 0 and json.loads(out)["fetched"] == 5 and json.loads(out)["status_lists"] == 3, out
    code, out = run()
    assert code == 0 and "fetched 0 file(s)" in out and "root kept" in out, out


def test_the_online_verifier_rereads_a_copy_once_it_is_switched(service: Service, network: Network,
                                                                tmp_path: Path) -> None:
    from verifier.web.state import TrustSource

    folder = tmp_path / "trust"
    sync(network, ISSUER_URL, folder, now=service.clock.now)
    source = TrustSource(folder)
    first = source.get(service.clock.now)
    assert source.get(service.clock.now) is first  # unchanged: not read again
    _set(service, 1, 2, 1)
    sync(network, ISSUER_URL, folder, now=service.clock.now)
    second = source.get(service.clock.now)
    assert second is not first and second.status_patches is not None and first.status_patches is None


def test_a_file_longer_than_the_index_says_is_cut_off(service: Service, network: Network, tmp_path: Path) -> None:
    folder = tmp_path / "trust"
    sync(network, ISSUER_URL, folder, now=service.clock.now)
    before = _copy_files(folder)
    _set(service, 2, 4, 2)
    network.rewrite["status/2.cwt"] = service.client.get("/status/2.cwt").content + b"\0" * 4096
    with pytest.raises(MobileIdError) as refused:
        sync(network, ISSUER_URL, folder, now=service.clock.now, max_logs=0)
    assert refused.value.code == "trust.sync_too_large" and _copy_files(folder) == before
