"""``mobileid demo --out DIR``: issue, present and verify sample credentials end to end, on this machine.

Everything is real (keys, certificates, signatures, status lists) and made fresh on each run; the files
left in DIR let a reader repeat the verification with ``mobileid verify`` (DIR/README.txt says how).
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization

from specs.cose import CoseKey
from specs.crypto import SoftwareSigner
from specs.mdoc.age import age_over_values
from specs.mdoc.issuance import issue_mdoc
from specs.mdoc.mso import ValidityInfo
from specs.mdoc.presentation import build_device_response
from specs.mdoc.transcript import SessionTranscript
from specs.sdjwt import SD, issue_sd_jwt_vc, present
from specs.status import StatusList, StatusReference, issue_cwt, issue_jwt
from specs.x509 import TrustStore, create_document_signer, create_iaca
from verifier.result import VerificationResult
from verifier.trust import VerifierTrust
from verifier.verify import verify_mdoc, verify_sd_jwt_presentation

MDL, NS, KR = "org.iso.18013.5.1.mDL", "org.iso.18013.5.1", "kr.mobileid.mdl.1"
LIST_URI = "https://issuer.mobileid.example/status/1"
# A synthetic person: no real data anywhere in the demo.
PERSON = {"family_name": "Hong", "given_name": "Gildong", "birth_date": dt.date(1988, 4, 2)}


def _say(step: int, text: str) -> None:
    click.echo(click.style(f"{step}. ", bold=True) + text)


def _verdict(result: VerificationResult) -> str:
    if result.valid:
        return click.style("VALID", fg="green", bold=True) + f" (status: {result.status})"
    return click.style("INVALID", fg="red", bold=True) + " " + ", ".join(e.code for e in result.errors)


@click.command("demo")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), default=Path("demo-out"),
              show_default=True, help="Folder for the files the demo leaves behind.")
def demo_command(out: Path) -> None:
    """Issue an mDL and a business-registration e-certificate, present them, and verify them offline."""
    out.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    iaca_signer, ds_signer = SoftwareSigner.generate(), SoftwareSigner.generate()
    iaca = create_iaca(iaca_signer, country="KR", common_name="mobileid demo IACA",
                       organization="Demo Licensing Office", not_before=now - dt.timedelta(days=1),
                       not_after=now + dt.timedelta(days=3650))
    ds = create_document_signer(iaca_signer, iaca, ds_signer.public_key(), common_name="mobileid demo DS",
                                not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=365))
    ds_der = ds.public_bytes(serialization.Encoding.DER)
    (out / "iaca.pem").write_bytes(iaca.public_bytes(serialization.Encoding.PEM))
    _say(1, "The licensing office made an IACA root and a document-signer certificate (ISO 18013-5 Annex B).")

    device, holder = SoftwareSigner.generate(), SoftwareSigner.generate()
    elements = {**PERSON, "issue_date": now.date(), "expiry_date": now.date() + dt.timedelta(days=3650),
                "issuing_country": "KR", "issuing_authority": "Demo Licensing Office",
                "document_number": "11-26-000001-01",
                **age_over_values(PERSON["birth_date"], now.date(), [19, 65])}
    mdl = issue_mdoc(ds_signer, [ds_der], MDL, {NS: elements, KR: {"licence_classes": ["2종 보통"]}},
                     CoseKey.from_public_key(device.public_key()),
                     ValidityInfo(now, now, now + dt.timedelta(days=365)), status=StatusReference(LIST_URI, 7))
    cert = issue_sd_jwt_vc(ds_signer, vct="urn:mobileid:kr:business_registration:1", x5c=[ds_der],
                           claims={"registration_number": "123-45-67890", "business_name": SD("Hanbit Trading"),
                                   "representative": SD("Hong Gildong"), "business_status": SD("active")},
                           holder_key=holder.public_key(), issued_at=now, expires_at=now + dt.timedelta(days=90),
                           status=StatusReference(LIST_URI, 8))
    _say(2, "After the in-person check it issued a mobile driver's licence (mdoc) and a business-registration "
            "certificate (SD-JWT VC), each bound to a key on the citizen's phone.")

    statuses = StatusList.empty(1024, 2)
    (out / "status_list.cwt").write_bytes(issue_cwt(ds_signer, subject=LIST_URI, status_list=statuses, issued_at=now,
                                                    expires_at=now + dt.timedelta(days=1), ttl=3600, x5chain=[ds_der]))
    (out / "status_list.jwt").write_text(issue_jwt(ds_signer, subject=LIST_URI, status_list=statuses, issued_at=now,
                                                   expires_at=now + dt.timedelta(days=1), ttl=3600,
                                                   x5c=[base64.b64encode(ds_der).decode()]) + "\n")
    _say(3, "It published a signed status list (JWT and CWT) that verifiers cache for offline checks.")

    transcript = SessionTranscript.build(None, None, ["mobileidDemoHandover", b"demo-session-0001"])
    response = build_device_response(mdl, {NS: ["age_over_19"]}, transcript, device)
    (out / "transcript.cbor").write_bytes(transcript.to_cbor())
    (out / "age_check.cbor").write_bytes(response.to_cbor())
    shown = present(cert, [("business_name",), ("business_status",)], holder=holder, aud="https://supplier.example",
                    nonce="demo-nonce-42", iat=now)
    (out / "business_registration.txt").write_text(shown.serialize() + "\n")
    _say(4, "The wallet shared only age_over_19 from the licence, and only the business name and status from "
            "the certificate, each signed by the phone's key for this one verifier.")

    trust = VerifierTrust(TrustStore.of([iaca]))
    age = verify_mdoc(response.to_cbor(), trust=trust, transcript=transcript, now=now,
                      status_token=(out / "status_list.cwt").read_bytes())
    _say(5, f"A shop verified the age check offline: {_verdict(age)}; it learned only {dict(age.claims.get(NS, {}))}.")
    business = verify_sd_jwt_presentation(shown.serialize(), trust=trust, now=now, nonce="demo-nonce-42",
                                          aud="https://supplier.example",
                                          status_token=(out / "status_list.jwt").read_bytes())
    _say(6, f"A supplier verified the business registration: {_verdict(business)}; it learned {dict(business.claims)}.")
    (out / "README.txt").write_text(_readme(now))
    _say(7, f"Files are in {out}/ (see {out}/README.txt to verify them yourself).")
    if not (age.valid and business.valid):
        raise SystemExit(1)


def _readme(now: dt.datetime) -> str:
    at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""mobileid demo output (made {at}; all keys and people are synthetic)

iaca.pem                    the issuer's IACA root certificate: the verifier's only trust anchor
age_check.cbor              an ISO 18013-5 DeviceResponse releasing only age_over_19, device-signed
transcript.cbor             the SessionTranscript the device signature is bound to
business_registration.txt   an SD-JWT VC presentation (business name and status) with a key-binding JWT
status_list.cwt / .jwt      the issuer's signed status list (Token Status List), CWT and JWT forms

Verify them (exit code 0 = valid, 1 = invalid):

  mobileid verify --format mdoc --trust iaca.pem --transcript transcript.cbor \\
      --status-list status_list.cwt --at {at} age_check.cbor
  mobileid verify --format sd-jwt --trust iaca.pem --nonce demo-nonce-42 --aud https://supplier.example \\
      --status-list status_list.jwt --at {at} business_registration.txt

Without --at the current time is used; the key-binding JWT is accepted for 5 minutes after it was made.
"""
