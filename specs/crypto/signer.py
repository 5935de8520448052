"""The ``Signer`` protocol: every signature mobileid makes goes through it, so that a software key,
an HSM (PKCS#11) or a phone keystore can sign alike.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from specs.crypto.algorithms import (
    Algorithm,
    PrivateKey,
    PublicKey,
    algorithm_for_key,
    der_to_raw_signature,
)


@runtime_checkable
class Signer(Protocol):
    """Signs bytes with one key and one algorithm; returns the wire form (raw ``r || s`` for ECDSA)."""

    @property
    def algorithm(self) -> Algorithm: ...

    def public_key(self) -> PublicKey: ...

    def sign(self, data: bytes) -> bytes: ...


class SoftwareSigner:
    """A ``Signer`` over an in-memory private key (tests, development, the wallet's software store)."""

    __slots__ = ("_algorithm", "_key")

    def __init__(self, key: PrivateKey) -> None:
        self._key = key
        self._algorithm = algorithm_for_key(key)

    @classmethod
    def generate(cls, alg: Algorithm = Algorithm.ES256) -> SoftwareSigner:
        from specs.crypto.algorithms import generate_private_key

        return cls(generate_private_key(alg))

    @property
    def algorithm(self) -> Algorithm:
        return self._algorithm

    @property
    def private_key(self) -> PrivateKey:
        return self._key

    def public_key(self) -> PublicKey:
        return self._key.public_key()

    def sign(self, data: bytes) -> bytes:
        if isinstance(self._key, ed25519.Ed25519PrivateKey):
            return self._key.sign(data)
        der = self._key.sign(data, ec.ECDSA(self._algorithm.hash))
        return der_to_raw_signature(der, self._algorithm)
