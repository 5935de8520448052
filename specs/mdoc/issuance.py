"""mdoc issuance (ISO/IEC 18013-5 §9.1.2): prepare -> to_be_signed -> complete(signature).

The two halves let an HSM or a remote signing service produce the issuerAuth signature: ``prepare_mdoc``
builds every IssuerSignedItem (random digestIDs, fresh salts) and the MSO, ``UnsignedMdoc.to_be_signed``
gives the Sig_structure bytes, and ``complete`` attaches the signature. ``issue_mdoc`` does all three
through a ``Signer``. The caller's inputs are never mutated.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specs.cbor import EncodedCBOR, encode
from specs.cose import CoseKey, CoseSign1, UnsignedCoseSign1
from specs.crypto import Algorithm, Signer
from specs.mdoc.issuer_signed import IssuerSigned
from specs.mdoc.items import IssuerSignedItem
from specs.mdoc.mso import DeviceKeyInfo, KeyAuthorizations, MobileSecurityObject, ValidityInfo
from specs.status.reference import StatusReference

__all__ = ["UnsignedMdoc", "issue_mdoc", "prepare_mdoc"]

Rng = Callable[[int], bytes]
RANDOM_LENGTH = 16  # §9.1.2.5 minimum; every byte counts in a QR code


@dataclass(frozen=True, slots=True)
class UnsignedMdoc:
    namespaces: Mapping[str, tuple[IssuerSignedItem, ...]]
    mso: MobileSecurityObject
    mso_bytes: EncodedCBOR
    unsigned: UnsignedCoseSign1

    def to_be_signed(self) -> bytes:
        return self.unsigned.to_be_signed()

    def complete(self, signature: bytes) -> IssuerSigned:
        return IssuerSigned(self.namespaces, self.unsigned.complete(signature), self.mso_bytes, self.mso)


def _shuffled_ids(count: int, rng: Rng) -> list[int]:
    # Random digestIDs (§9.1.2.5: not in element order), kept small for compact encodings.
    keys = [(rng(8), i) for i in range(count)]
    return [i for _, i in sorted(keys)]


def prepare_mdoc(doctype: str, namespaces: Mapping[str, Mapping[str, Any]], device_key: CoseKey,
                 validity: ValidityInfo, *, algorithm: Algorithm, x5chain: Sequence[bytes],
                 digest_algorithm: str = "SHA-256", key_authorizations: KeyAuthorizations | None = None,
                 status: StatusReference | None = None, rng: Rng = secrets.token_bytes) -> UnsignedMdoc:
    total = sum(len(elements) for elements in namespaces.values())
    ids = iter(_shuffled_ids(total, rng))
    items: dict[str, tuple[IssuerSignedItem, ...]] = {}
    digests: dict[str, dict[int, bytes]] = {}
    for ns, elements in namespaces.items():
        built = tuple(IssuerSignedItem.create(next(ids), rng(RANDOM_LENGTH), name, value)
                      for name, value in elements.items())
        items[ns] = built
        digests[ns] = {i.digest_id: i.digest(digest_algorithm) for i in sorted(built, key=lambda i: i.digest_id)}
    mso = MobileSecurityObject("1.0", digest_algorithm, digests,
                               DeviceKeyInfo(device_key.public(), key_authorizations), doctype, validity, status)
    mso_bytes = EncodedCBOR.wrap(mso.to_cbor_value())
    unsigned = CoseSign1.prepare(encode(mso_bytes), algorithm=algorithm, x5chain=list(x5chain))
    return UnsignedMdoc(items, mso, mso_bytes, unsigned)


def issue_mdoc(signer: Signer, x5chain: Sequence[bytes], doctype: str,
               namespaces: Mapping[str, Mapping[str, Any]], device_key: CoseKey, validity: ValidityInfo,
               **options: Any) -> IssuerSigned:
    """Prepare and sign in one step (``options`` as for ``prepare_mdoc``)."""
    unsigned = prepare_mdoc(doctype, namespaces, device_key, validity, algorithm=signer.algorithm,
                            x5chain=x5chain, **options)
    return unsigned.complete(signer.sign(unsigned.to_be_signed()))
