"""In-process inputs for ``benchmarks/qr.py``: an IACA -> DS, an age attestation and a full mDL (with a status
reference), a signed trust bundle with the status list token, and the wallet's QR presentations of them.

No HTTP issuer and no wallet folder: the presentation is what ``wallet.present.Presenter`` does (strip the
x5chain, device-sign over the QR transcript, wrap in a ``QrResponse``, size the frames), done directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image, ImageDraw, ImageFilter

from issuer.validity import WINDOW, copy_validity
from specs.cose import CoseKey
from specs.crypto import SoftwareSigner
from specs.mdoc.age import age_over_values
from specs.mdoc.issuance import issue_mdoc
from specs.mdoc.issuer_signed import IssuerSigned
from specs.mdoc.mso import ValidityInfo
from specs.mdoc.presentation import build_device_response
from specs.qr import profile_texts
from specs.qr.presentation import ONE_WAY, TWO_WAY, QrRequest, QrResponse, one_way_transcript, two_way_transcript
from specs.status import StatusList, StatusReference, issue_jwt
from specs.trust import CertificateInfo, StatusListToken, TrustBundle, sign_trust_bundle, sign_vical
from specs.trust.vical import Vical
from specs.x509 import TrustStore, create_document_signer, create_iaca, create_vical_signer
from verifier.trust import VerifierTrust
from wallet.present import strip_certificate

AGE_DOCTYPE = AGE_NS = "kr.mobileid.age.1"
MDL, ISO = "org.iso.18013.5.1.mDL", "org.iso.18013.5.1"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
STATUS_URI = "https://issuer.mobileid.example.kr/status/1"
BIRTH = dt.date(1990, 3, 15)
_DER = serialization.Encoding.DER
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def portrait(rng: random.Random) -> bytes:
    """A 96x128 grey JPEG face with some skin texture, quality 70: about 2 KB like a real licence photo."""
    img = Image.new("L", (96, 128), 235)
    draw = ImageDraw.Draw(img)
    draw.ellipse((18, 26, 78, 104), fill=rng.randint(150, 210))
    draw.chord((14, 12, 82, 70), 180, 360, fill=rng.randint(20, 90))
    for x in (34, 56):
        draw.ellipse((x, 58, x + 7, 63), fill=40)
    draw.arc((36, 78, 60, 92), 20, 160, fill=60, width=2)
    draw.rectangle((20, 108, 76, 128), fill=rng.randint(60, 140))
    noise = Image.frombytes("L", img.size, bytes(rng.randint(0, 255) for _ in range(96 * 128)))
    img = Image.blend(img, noise.filter(ImageFilter.GaussianBlur(1.2)), 0.18)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70, optimize=True)
    return out.getvalue()


def mdl_elements(photo: bytes) -> dict[str, Any]:
    """The ISO namespace of a licence as ``issuer/credentials.py::_mdl_claims`` fills it."""
    issued, expiry = dt.date(2024, 5, 2), dt.date(2034, 5, 1)
    return {
        "family_name": "KIM", "given_name": "MINJUN", "birth_date": BIRTH, "issue_date": issued,
        "expiry_date": expiry, "issuing_country": "KR", "issuing_authority": "mobileid Licensing Office",
        "document_number": "11-24-012345-67", "portrait": photo,
        "driving_privileges": [{"vehicle_category_code": "B", "issue_date": issued, "expiry_date": expiry}],
        "un_distinguishing_sign": "ROK", "sex": 1, "nationality": "KR",
        "resident_address": "서울특별시 종로구 세종대로 209", "age_birth_year": BIRTH.year,
        "family_name_national_character": "김", "given_name_national_character": "민준",
        **age_over_values(BIRTH, NOW.date(), [14, 19, 65]),
    }


@dataclass
class QrFixture:
    trust: VerifierTrust
    age: IssuerSigned
    mdl: IssuerSigned
    device: SoftwareSigner
    mdl_elements: dict[str, Any]
    bundle: bytes  # the signed trust bundle behind ``trust``
    iaca_pem: bytes  # the root it is pinned to

    def one_way_age(self, *, now: dt.datetime = NOW, nonce: bytes | None = None) -> tuple[bytes, tuple[str, ...]]:
        """The one-way ``age19`` preset answer: (QrResponse CBOR, QR texts)."""
        nonce = nonce or secrets.token_bytes(16)
        when = now.replace(microsecond=0)
        response = build_device_response(strip_certificate(self.age), {AGE_NS: ["age_over_19"]},
                                          one_way_transcript(nonce, when), self.device)
        message = QrResponse(ONE_WAY, "mdoc", response.to_cbor(), nonce, when).to_cbor()
        return message, profile_texts(message)

    def two_way_mdl(self, request: QrRequest, elements: list[str]) -> tuple[bytes, tuple[str, ...]]:
        response = build_device_response(strip_certificate(self.mdl), {ISO: elements}, two_way_transcript(request),
                                          self.device)
        message = QrResponse(TWO_WAY, "mdoc", response.to_cbor()).to_cbor()
        return message, profile_texts(message)


def seeded_signer(seed: int, label: str) -> SoftwareSigner:
    """A P-256 key derived from ``seed`` and ``label``: the same keys in every run (the profile's worked example
    and its trust bundle in tests/vectors/qr-profile/ are made from seed 7)."""
    scalar = int.from_bytes(hashlib.sha256(f"mobileid qr fixture {seed} {label}".encode()).digest(), "big")
    return SoftwareSigner(ec.derive_private_key(scalar % (_P256_ORDER - 1) + 1, ec.SECP256R1()))


def make_fixture(seed: int = 20261125) -> QrFixture:
    rng = random.Random(seed)
    iaca_signer, ds_signer, vical_signer, device = (seeded_signer(seed, k) for k in ("iaca", "ds", "vical", "device"))
    iaca = create_iaca(iaca_signer, country="KR", common_name="mobileid bench IACA", not_before=START,
                       not_after=START + dt.timedelta(days=3650))
    ds = create_document_signer(iaca_signer, iaca, ds_signer.public_key(), common_name="mobileid bench DS",
                                not_before=START - WINDOW, not_after=START + dt.timedelta(days=400))
    vical_cert = create_vical_signer(iaca_signer, iaca, vical_signer.public_key(), common_name="bench VICAL",
                                     not_before=START, not_after=START + dt.timedelta(days=700))
    ds_der = ds.public_bytes(_DER)
    # issued at START as the issuer issues: each copy's times moved back by its own offset (issuer.validity)
    signed, until = copy_validity(START, START + dt.timedelta(days=300), earliest=START - WINDOW,
                                  randbelow=rng.randrange)
    validity = ValidityInfo(signed, signed, until)
    device_key = CoseKey.from_public_key(device.public_key())
    age = issue_mdoc(ds_signer, [ds_der], AGE_DOCTYPE, {AGE_NS: age_over_values(BIRTH, NOW.date(), [14, 19, 65])},
                     device_key, validity, status=StatusReference(STATUS_URI, 7))
    elements = mdl_elements(portrait(rng))
    mdl = issue_mdoc(ds_signer, [ds_der], MDL, {ISO: elements}, device_key, validity,
                     status=StatusReference(STATUS_URI, 8))
    import base64

    token = issue_jwt(ds_signer, subject=STATUS_URI, status_list=StatusList.empty(1024), issued_at=NOW,
                      expires_at=NOW + dt.timedelta(days=1), ttl=3600, x5c=[base64.b64encode(ds_der).decode()])
    vical = sign_vical(Vical("mobileid bench", NOW, (CertificateInfo.for_certificate(iaca, (MDL, AGE_DOCTYPE)),),
                             next_update=NOW + dt.timedelta(days=30)), vical_signer, (vical_cert,))
    bundle = TrustBundle(issuer="https://issuer.mobileid.example.kr", issued_at=NOW - dt.timedelta(hours=1),
                         next_update=NOW + dt.timedelta(days=1), vical=vical, document_signers=(ds_der,),
                         status_lists=(StatusListToken(STATUS_URI, jwt=token),))
    signed = sign_trust_bundle(bundle, vical_signer, (vical_cert,))
    trust = VerifierTrust.from_bundle(signed, TrustStore.of([iaca]), now=NOW)
    return QrFixture(trust, age, mdl, device, elements, signed, iaca.public_bytes(serialization.Encoding.PEM))
