"""MobileSecurityObject (ISO/IEC 18013-5 §9.1.2.4) with its ValidityInfo and DeviceKeyInfo.

The MSO optionally carries ``status`` (draft-ietf-oauth-status-list §6.3, the Referenced Token's
status for an mdoc). ``MobileSecurityObjectBytes`` are kept as received: the issuer signs them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specs.cbor import MAP, EncodedCBOR
from specs.cose import CoseKey
from specs.errors import StructureError
from specs.mdoc.items import DIGEST_ALGORITHMS
from specs.status.reference import StatusReference

__all__ = ["DeviceKeyInfo", "KeyAuthorizations", "MobileSecurityObject", "ValidityInfo"]


def _need(value: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    item = value.get(key)
    if not isinstance(item, kind):
        raise StructureError(f"{what} {key} is missing or has the wrong type")
    return item


@dataclass(frozen=True, slots=True)
class ValidityInfo:
    """§9.1.2.4 ValidityInfo: tdate values (RFC 3339, no fractions)."""

    signed: dt.datetime
    valid_from: dt.datetime
    valid_until: dt.datetime
    expected_update: dt.datetime | None = None

    @classmethod
    def from_cbor_value(cls, value: Any) -> ValidityInfo:
        if not isinstance(value, MAP):
            raise StructureError("ValidityInfo must be a map")
        times = [_need(value, k, dt.datetime, "ValidityInfo") for k in ("signed", "validFrom", "validUntil")]
        update = value.get("expectedUpdate")
        if update is not None and not isinstance(update, dt.datetime):
            raise StructureError("ValidityInfo expectedUpdate must be a tdate")
        return cls(times[0], times[1], times[2], update)

    def to_cbor_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"signed": self.signed, "validFrom": self.valid_from,
                               "validUntil": self.valid_until}
        if self.expected_update is not None:
            out["expectedUpdate"] = self.expected_update
        return out


@dataclass(frozen=True, slots=True)
class KeyAuthorizations:
    """§9.1.2.4 KeyAuthorizations: which elements the device key may sign (DeviceSigned items)."""

    namespaces: tuple[str, ...] = ()
    data_elements: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def allows(self, namespace: str, element: str) -> bool:
        return namespace in self.namespaces or element in self.data_elements.get(namespace, ())

    @classmethod
    def from_cbor_value(cls, value: Any) -> KeyAuthorizations:
        if not isinstance(value, MAP):
            raise StructureError("KeyAuthorizations must be a map")
        spaces = value.get("nameSpaces", [])
        elements = value.get("dataElements", {})
        if not isinstance(spaces, list) or not all(isinstance(s, str) for s in spaces):
            raise StructureError("KeyAuthorizations nameSpaces must be an array of text")
        if not isinstance(elements, MAP):
            raise StructureError("KeyAuthorizations dataElements must be a map")
        parsed: dict[str, tuple[str, ...]] = {}
        for ns, ids in elements.items():
            if not isinstance(ns, str) or not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise StructureError("KeyAuthorizations dataElements must map text to arrays of text")
            parsed[ns] = tuple(ids)
        return cls(tuple(spaces), parsed)

    def to_cbor_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.namespaces:
            out["nameSpaces"] = list(self.namespaces)
        if self.data_elements:
            out["dataElements"] = {ns: list(ids) for ns, ids in self.data_elements.items()}
        return out


@dataclass(frozen=True, slots=True)
class DeviceKeyInfo:
    device_key: CoseKey
    key_authorizations: KeyAuthorizations | None = None
    key_info: Mapping[int, Any] | None = None

    @classmethod
    def from_cbor_value(cls, value: Any) -> DeviceKeyInfo:
        if not isinstance(value, MAP) or "deviceKey" not in value:
            raise StructureError("DeviceKeyInfo must be a map with deviceKey")
        auth = value.get("keyAuthorizations")
        info = value.get("keyInfo")
        if info is not None and not isinstance(info, MAP):
            raise StructureError("DeviceKeyInfo keyInfo must be a map")
        return cls(CoseKey.from_cbor_value(value["deviceKey"]),
                   KeyAuthorizations.from_cbor_value(auth) if auth is not None else None,
                   dict(info) if info is not None else None)

    def to_cbor_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {"deviceKey": self.device_key.to_cbor_value()}
        if self.key_authorizations is not None:
            out["keyAuthorizations"] = self.key_authorizations.to_cbor_value()
        if self.key_info is not None:
            out["keyInfo"] = dict(self.key_info)
        return out


@dataclass(frozen=True, slots=True)
class MobileSecurityObject:
    version: str
    digest_algorithm: str
    value_digests: Mapping[str, Mapping[int, bytes]]
    device_key_info: DeviceKeyInfo
    doctype: str
    validity_info: ValidityInfo
    status: StatusReference | None = None

    @classmethod
    def from_cbor_value(cls, value: Any) -> MobileSecurityObject:
        if not isinstance(value, MAP):
            raise StructureError("MobileSecurityObject must be a map")
        version = _need(value, "version", str, "MSO")
        if version != "1.0":
            raise StructureError(f"MSO version {version!r} is not supported")
        alg = _need(value, "digestAlgorithm", str, "MSO")
        if alg not in DIGEST_ALGORITHMS:
            raise StructureError(f"MSO digestAlgorithm {alg!r} is not supported")
        digests: dict[str, dict[int, bytes]] = {}
        for ns, ids in _need(value, "valueDigests", MAP, "MSO").items():
            if not isinstance(ns, str) or not isinstance(ids, MAP):
                raise StructureError("MSO valueDigests must map namespaces to digest maps")
            for k, v in ids.items():
                if k.__class__ is not int or not isinstance(v, bytes):
                    raise StructureError("MSO digest maps must map digestID to bstr")
            digests[ns] = dict(ids)
        status = value.get("status")
        return cls(version, alg, digests, DeviceKeyInfo.from_cbor_value(value.get("deviceKeyInfo")),
                   _need(value, "docType", str, "MSO"),
                   ValidityInfo.from_cbor_value(value.get("validityInfo")),
                   StatusReference.from_value(status) if status is not None else None)

    @classmethod
    def from_bytes(cls, mso_bytes: EncodedCBOR) -> MobileSecurityObject:
        return cls.from_cbor_value(mso_bytes.decode())

    def to_cbor_value(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": self.version, "digestAlgorithm": self.digest_algorithm,
            "valueDigests": {ns: dict(ids) for ns, ids in self.value_digests.items()},
            "deviceKeyInfo": self.device_key_info.to_cbor_value(), "docType": self.doctype,
            "validityInfo": self.validity_info.to_cbor_value(),
        }
        if self.status is not None:
            out["status"] = self.status.to_value()
        return out
