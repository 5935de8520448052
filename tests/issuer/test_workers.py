"""Stateless workers, proven (issue: national scale, item 2): three ``mobileid issuer serve`` processes on
separate ports share one database (PostgreSQL, and a SQLite file) and one data folder, as N workers behind a
load balancer do; each step of a whole flow goes to a different worker, and a rate limit counts across them.

What could live in one process only, and where it lives instead: the session and flash keys (``session.key``),
the tx_code pepper and the key-encryption secret (data folder, identical on every machine); console sessions
(signed cookies; server-side sessions go to the database); nonces, challenges, offers, grants, rate limits and
refusal counts (database). Signing keys are cached per process but loaded from the database.
"""

from __future__ import annotations

import base64
import html
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from issuer.db.models import Credential, Licence
from issuer.offers import PRE_AUTH_GRANT
from specs.crypto import SoftwareSigner
from specs.jose import jwk_from_key, sign_compact
from tests.issuer.conftest import ISSUER_URL, Service, free_port
from wallet.oid4vci import CredentialOffer

WORKERS = 3
REMOTE_LIMIT = 4


@pytest.fixture
def workers(service: Service, tmp_path: Path) -> Iterator[list[str]]:
    """Three worker processes on one database and data folder; their addresses."""
    command = Path(sys.executable).with_name("mobileid")
    env = os.environ | {"MOBILEID_DATABASE_URL": service.settings.sqlalchemy_url, "MOBILEID_PUBLIC_URL": ISSUER_URL,
                        "MOBILEID_RATE_LIMIT_REMOTE_PER_CLIENT": str(REMOTE_LIMIT)}
    ports = [free_port() for _ in range(WORKERS)]
    processes = []
    for i, port in enumerate(ports):
        with (tmp_path / f"worker-{i}.log").open("wb") as log:
            processes.append(subprocess.Popen([str(command), "issuer", "serve", "--port", str(port),
                                               "--data-dir", str(service.settings.data_dir)],
                                              env=env, stdout=log, stderr=subprocess.STDOUT))
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        for url, process in zip(urls, processes, strict=True):
            while True:
                assert process.poll() is None, (tmp_path / "worker-0.log").read_text()[-2000:]
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "a worker did not start"
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def _csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def test_each_step_on_another_worker(service: Service, workers: list[str]) -> None:
    a, b, c = workers
    with service.session() as session:
        person_id = session.scalars(select(Licence.person_id).order_by(Licence.id)).first()
    http = httpx.Client(timeout=30)  # one cookie jar: cookies are per host, not per port, as behind one address

    # console login on A; the in-person check and offer on B; the offer's page (QR, tx_code: a flash sealed
    # under the shared session key) on C
    page = http.post(f"{a}/console/login", data={"username": "clerk1", "password": service.clerk_password},
                     follow_redirects=False)
    assert page.status_code == 303, page.text
    csrf = _csrf(http.get(f"{b}/console/applicants/{person_id}"))
    made = http.post(f"{b}/console/applicants/{person_id}/check", follow_redirects=False, data={
        "csrf": csrf, "document_kind": "id_card", "document_number": "W-0001", "photo_match": "yes",
        "configuration": "mdl", "copies_mdl": "1"})
    assert made.status_code == 303, made.text
    shown = http.get(c + made.headers["location"])
    offer_uri = re.search(r'id="offer-uri" href="([^"]+)"', shown.text)
    tx_code = re.search(r'id="tx-code">(\d+)<', shown.text)
    assert offer_uri and tx_code, shown.text[:800]

    # the offer by reference on A, the token on B, a nonce on C, the credential on A, the notification on B
    reference_uri = CredentialOffer.reference(html.unescape(offer_uri.group(1)))
    assert reference_uri and reference_uri.startswith(ISSUER_URL)
    offer = CredentialOffer.from_json(http.get(a + reference_uri[len(ISSUER_URL):]).json())
    token = http.post(f"{b}/token", data={"grant_type": PRE_AUTH_GRANT, "tx_code": tx_code.group(1),
                                          "pre-authorized_code": offer.pre_authorized_code})
    assert token.status_code == 200, token.text
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    nonce = http.post(f"{c}/nonce").json()["c_nonce"]
    signer = SoftwareSigner.generate()
    proof = sign_compact(signer, {"typ": "openid4vci-proof+jwt", "jwk": jwk_from_key(signer.public_key())},
                         {"aud": ISSUER_URL, "iat": int(time.time()), "nonce": nonce})
    issued = http.post(f"{a}/credential", headers=auth,
                       json={"credential_configuration_id": "mdl", "proofs": {"jwt": [proof]}})
    assert issued.status_code == 200, issued.text
    assert base64.urlsafe_b64decode(issued.json()["credentials"][0]["credential"] + "==")
    noted = http.post(f"{b}/notification", headers=auth, json={
        "notification_id": issued.json()["notification_id"], "event": "credential_accepted"})
    assert noted.status_code == 204, noted.text

    # the status change on C (its confirmation page from A), seen in the status list served by B
    with service.session() as session:
        credential = session.scalars(select(Credential).order_by(Credential.id.desc())).first()
        assert credential is not None
        number = int(session.scalars(select(Credential.status_list_id).where(Credential.id == credential.id)).one())
    before = http.get(f"{b}/status/{number}").content
    confirm = http.get(f"{a}/console/credentials/{credential.id}/status", params={"to": "suspended"})
    assert confirm.status_code == 200, confirm.text[:500]
    changed = http.post(f"{c}/console/credentials/{credential.id}/status", follow_redirects=False,
                        data={"csrf": _csrf(confirm), "to": "suspended", "reason": "multi-worker test"})
    assert changed.status_code == 303, changed.text[:500]
    with service.session() as session:
        assert session.get(Credential, credential.id).status == "suspended"  # type: ignore[union-attr]
    assert http.get(f"{b}/status/{number}").content != before

    # one rate limit across the workers: the remote-issuance allowance is spent on A, B and C together
    answers = [http.post(f"{workers[i % WORKERS]}/remote/challenge").status_code for i in range(REMOTE_LIMIT + 1)]
    assert answers == [200] * REMOTE_LIMIT + [429]
    http.close()
