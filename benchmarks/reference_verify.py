"""The yardsticks of ``benchmarks/verify.py``: plain verifiers written directly on cbor2 / json and cryptography.

Each does the same checks as ours, in the most direct code we could write, with no strict decoding (no size,
depth, tag or duplicate-key rules) and no typed structures or error codes:

* ``ReferenceMdoc.verify``: ISO/IEC 18013-5 §9.3.1 for each document of a DeviceResponse: the DS certificate
  chains to the IACA (cryptography's own path validation with its web-PKI CA policy, as a plain verifier would
  use it, plus the mDL DS extended key usage; remembered per DS DER when ``cache_chains``) and both
  certificates' dates hold, the issuerAuth ES256 signature over the
  MSO, docType, MSO validity dates (also against the DS certificate), every presented item's digest over its
  received tag-24 bytes, and the device signature over DeviceAuthenticationBytes with the MSO's device key.
* ``reference_sd_jwt_vc``: RFC 9901 §7.1-7.3 and SD-JWT VC: the issuer JWS (ES256, ``typ dc+sd-jwt``), every
  disclosure's digest referenced exactly once, exp/nbf/iat, ``vct``, the ``cnf`` key, and the KB-JWT (``typ``,
  signature, iat window, nonce, aud, sd_hash).
* ``reference_status_token``: a status-list JWT: signature with the issuer key, ``typ``, ``sub``, ``exp``,
  base64url + zlib inflate of the list, and one status lookup.

Not used by the library; only the benchmark imports this module.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import zlib
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store

__all__ = ["ReferenceMdoc", "reference_sd_jwt_vc", "reference_status_token"]

_ECDSA = ec.ECDSA(hashes.SHA256())
_P256 = ec.SECP256R1()
_DS_EKU = x509.ObjectIdentifier("1.0.18013.5.1.2")


def _der(raw: bytes) -> bytes:
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ReferenceMdoc:
    """A plain mdoc verifier for one IACA; DS chains cached per DER when ``cache_chains``."""

    def __init__(self, iaca: x509.Certificate, *, cache_chains: bool = True) -> None:
        self.iaca = iaca
        self.cache: dict[bytes, x509.Certificate] | None = {} if cache_chains else None

    def _ds(self, der: bytes, now: dt.datetime) -> x509.Certificate:
        cert = self.cache.get(der) if self.cache is not None else None
        if cert is None:
            cert = x509.load_der_x509_certificate(der)
            (PolicyBuilder().store(Store([self.iaca])).time(now.replace(tzinfo=None))
             .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all())
             .build_client_verifier().verify(cert, []))
            assert _DS_EKU in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            if self.cache is not None:
                self.cache[der] = cert
        for c in (cert, self.iaca):
            assert c.not_valid_before_utc <= now <= c.not_valid_after_utc, "certificate dates"
        return cert

    def verify(self, response: bytes, transcript: bytes, now: dt.datetime) -> list[dict[str, Any]]:
        """``transcript`` is the encoded SessionTranscript; returns the issuer-signed claims per document."""
        value = cbor2.loads(response)
        assert value["status"] == 0 and value["documents"]
        return [self._document(doc, transcript, now) for doc in value["documents"]]

    def _document(self, doc: dict[str, Any], transcript: bytes, now: dt.datetime) -> dict[str, Any]:
        protected, unprotected, payload, signature = doc["issuerSigned"]["issuerAuth"]
        assert cbor2.loads(protected)[1] == -7
        x5chain = unprotected[33]
        ds = self._ds(x5chain if isinstance(x5chain, bytes) else x5chain[0], now)
        ds.public_key().verify(_der(signature), cbor2.dumps(["Signature1", protected, b"", payload]),  # type: ignore[call-arg, union-attr]
                               _ECDSA)
        mso = cbor2.loads(cbor2.loads(payload).value)
        assert mso["docType"] == doc["docType"]
        validity = mso["validityInfo"]
        signed, valid_from, valid_until = validity["signed"], validity["validFrom"], validity["validUntil"]
        assert signed <= valid_from < valid_until and ds.not_valid_before_utc <= signed <= ds.not_valid_after_utc
        assert valid_from <= now <= valid_until, "MSO dates"
        claims: dict[str, Any] = {}
        for ns, items in doc["issuerSigned"]["nameSpaces"].items():
            digests = mso["valueDigests"][ns]
            out = claims[ns] = {}
            for tagged in items:
                item = cbor2.loads(tagged.value)
                assert hashlib.sha256(cbor2.dumps(tagged)).digest() == digests[item["digestID"]], "digest"
                out[item["elementIdentifier"]] = item["elementValue"]
        device_signed = doc["deviceSigned"]
        ns_bytes = device_signed["nameSpaces"]
        assert not cbor2.loads(ns_bytes.value), "device-signed elements need keyAuthorizations"
        auth = b"\x84" + cbor2.dumps("DeviceAuthentication") + transcript + cbor2.dumps(doc["docType"]) + \
            cbor2.dumps(ns_bytes)
        d_protected, _, _, d_signature = device_signed["deviceAuth"]["deviceSignature"]
        assert cbor2.loads(d_protected)[1] == -7
        cose_key = mso["deviceKeyInfo"]["deviceKey"]
        device_key = ec.EllipticCurvePublicKey.from_encoded_point(_P256, b"\x04" + cose_key[-2] + cose_key[-3])
        to_be_signed = cbor2.dumps(["Signature1", d_protected, b"", cbor2.dumps(cbor2.CBORTag(24, auth))])
        device_key.verify(_der(d_signature), to_be_signed, _ECDSA)
        return claims


def _jws(compact: str, key: ec.EllipticCurvePublicKey) -> tuple[dict[str, Any], dict[str, Any]]:
    header_b64, payload_b64, signature_b64 = compact.split(".")
    header = json.loads(_b64(header_b64))
    assert header["alg"] == "ES256"
    key.verify(_der(_b64(signature_b64)), f"{header_b64}.{payload_b64}".encode("ascii"), _ECDSA)
    return header, json.loads(_b64(payload_b64))


def reference_sd_jwt_vc(presentation: str, issuer_key: ec.EllipticCurvePublicKey, *, now: dt.datetime, aud: str,
                        nonce: str) -> dict[str, Any]:
    """A plain SD-JWT VC + KB-JWT verifier for flat (top-level) disclosures; returns the claims."""
    parts = presentation.split("~")
    header, payload = _jws(parts[0], issuer_key)
    assert header["typ"] == "dc+sd-jwt" and payload.get("_sd_alg", "sha-256") == "sha-256"
    available = set(payload.pop("_sd", ()))
    claims = payload
    for disclosure in parts[1:-1]:
        digest = base64.urlsafe_b64encode(hashlib.sha256(disclosure.encode("ascii")).digest()).rstrip(b"=").decode()
        assert digest in available, "unreferenced or repeated disclosure"
        available.discard(digest)
        _, name, value = json.loads(_b64(disclosure))
        assert name not in claims
        claims[name] = value
    stamp = now.timestamp()
    assert claims["exp"] > stamp and claims.get("nbf", 0) <= stamp and claims["iat"] <= stamp + 60
    assert isinstance(claims["vct"], str)
    jwk = claims["cnf"]["jwk"]
    holder = ec.EllipticCurvePublicKey.from_encoded_point(_P256, b"\x04" + _b64(jwk["x"]) + _b64(jwk["y"]))
    kb_header, kb = _jws(parts[-1], holder)
    assert kb_header["typ"] == "kb+jwt"
    assert 0 <= stamp - kb["iat"] <= 300 + 60 and kb["nonce"] == nonce and kb["aud"] == aud
    covered = presentation[: len(presentation) - len(parts[-1])].encode("ascii")
    assert kb["sd_hash"] == base64.urlsafe_b64encode(hashlib.sha256(covered).digest()).rstrip(b"=").decode()
    return claims


def reference_status_token(token: str, key: ec.EllipticCurvePublicKey, *, now: dt.datetime, subject: str,
                           index: int) -> int:
    """A plain status-list JWT verifier: the status at ``index``."""
    header, claims = _jws(token, key)
    assert header["typ"] == "statuslist+jwt" and claims["sub"] == subject and now.timestamp() < claims["exp"]
    status_list = claims["status_list"]
    bits, data = status_list["bits"], zlib.decompress(_b64(status_list["lst"]))
    position = index * bits
    return int((data[position // 8] >> (position % 8)) & ((1 << bits) - 1))
