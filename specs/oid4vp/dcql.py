"""The Digital Credentials Query Language (OpenID4VP 1.0 §6) and claims path pointers (§7).

A ``DcqlQuery`` is parsed strictly: every member the specification defines is type-checked, identifiers
follow §6.1/§6.3 (alphanumeric, ``_``, ``-``), references in ``claim_sets`` and ``credential_sets`` must
resolve, and only the formats this kit speaks are accepted (``mso_mdoc``, ``dc+sd-jwt``). Unknown members
are ignored, as §6 requires. ``DcqlQuery.choose`` applies the selection rules of §6.4.2 for a wallet:
the first satisfiable option of each credential set, said back so the holder can be told.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from specs.errors import Oid4vpError

__all__ = ["FORMAT_MDOC", "FORMAT_SD_JWT", "ClaimsQuery", "CredentialQuery", "CredentialSetQuery", "DcqlChoice",
           "DcqlQuery", "SetChoice", "select_json_path"]

FORMAT_MDOC, FORMAT_SD_JWT = "mso_mdoc", "dc+sd-jwt"
_FORMATS = (FORMAT_MDOC, FORMAT_SD_JWT)
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_CREDENTIALS, MAX_CLAIMS, MAX_PATH, MAX_OPTIONS = 32, 64, 16, 16

PathElement = str | int | None
ClaimValue = str | int | bool


def _fail(message: str) -> Oid4vpError:
    return Oid4vpError(message, code="oid4vp.dcql_invalid")


def _identifier(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise _fail(f"{what} must be 1..64 characters of letters, digits, '_' or '-'")
    return value


def _array(value: Any, what: str, limit: int) -> list[Any]:
    if not isinstance(value, list) or not value or len(value) > limit:
        raise _fail(f"{what} must be a non-empty array of at most {limit} entries")
    return value


def _bool(obj: Mapping[str, Any], name: str, default: bool) -> bool:
    value = obj.get(name, default)
    if not isinstance(value, bool):
        raise _fail(f"{name} must be a boolean")
    return value


@dataclass(frozen=True, slots=True)
class ClaimsQuery:
    """§6.3: a claims path pointer, optionally an ``id`` and the accepted ``values``."""

    path: tuple[PathElement, ...]
    id: str | None = None
    values: tuple[ClaimValue, ...] | None = None
    intent_to_retain: bool | None = None  # Appendix B.2.4, mdoc only

    @classmethod
    def from_json(cls, value: Any, fmt: str) -> ClaimsQuery:
        if not isinstance(value, dict):
            raise _fail("a claims query must be an object")
        path = tuple(_array(value.get("path"), "claims path", MAX_PATH))
        if fmt == FORMAT_MDOC:
            if len(path) != 2 or not all(isinstance(p, str) for p in path):  # §7.2.1 step 1
                raise _fail("an mdoc claims path is [namespace, element identifier]")
        elif not all(p is None or isinstance(p, str) or (type(p) is int and p >= 0) for p in path):
            raise _fail("a claims path holds strings, null and non-negative integers only")  # §7.1
        claim_id = value.get("id")
        values = value.get("values")
        if values is not None:
            values = tuple(_array(values, "claims values", MAX_OPTIONS))
            if not all(isinstance(v, str | bool) or type(v) is int for v in values):
                raise _fail("claims values must be strings, integers or booleans")
        retain = value.get("intent_to_retain")
        if retain is not None and (fmt != FORMAT_MDOC or not isinstance(retain, bool)):
            raise _fail("intent_to_retain is a boolean of mdoc claims queries")
        return cls(path, None if claim_id is None else _identifier(claim_id, "claims id"), values, retain)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["path"] = list(self.path)
        if self.values is not None:
            out["values"] = list(self.values)
        if self.intent_to_retain is not None:
            out["intent_to_retain"] = self.intent_to_retain
        return out

    def accepts(self, value: Any) -> bool:
        """§6.3 ``values``: type and value equal to one entry (``True`` is not ``1``)."""
        if self.values is None:
            return True
        return any(type(value) is type(v) and value == v for v in self.values)


@dataclass(frozen=True, slots=True)
class CredentialQuery:
    """§6.1, with the format's ``meta``: ``doctype_value`` (B.2.3) or ``vct_values`` (B.3.5)."""

    id: str
    format: str
    doctype_value: str | None = None
    vct_values: tuple[str, ...] = ()
    claims: tuple[ClaimsQuery, ...] | None = None
    claim_sets: tuple[tuple[str, ...], ...] | None = None
    multiple: bool = False
    require_cryptographic_holder_binding: bool = True

    @classmethod
    def from_json(cls, value: Any) -> CredentialQuery:
        if not isinstance(value, dict):
            raise _fail("a credential query must be an object")
        query_id = _identifier(value.get("id"), "credential query id")
        fmt = value.get("format")
        if fmt not in _FORMATS:
            raise Oid4vpError("only mso_mdoc and dc+sd-jwt credentials are supported",
                              code="oid4vp.dcql_format")
        meta = value.get("meta")
        if not isinstance(meta, dict):
            raise _fail("meta is required and must be an object")
        doctype, vcts = cls._meta(meta, fmt)
        claims = None
        if "claims" in value:
            claims = tuple(ClaimsQuery.from_json(c, fmt) for c in _array(value["claims"], "claims", MAX_CLAIMS))
            ids = [c.id for c in claims if c.id is not None]
            if len(ids) != len(set(ids)):
                raise _fail("a claims id appears twice")
        claim_sets = cls._claim_sets(value.get("claim_sets"), claims)
        return cls(query_id, fmt, doctype, vcts, claims, claim_sets, _bool(value, "multiple", False),
                   _bool(value, "require_cryptographic_holder_binding", True))

    @staticmethod
    def _meta(meta: Mapping[str, Any], fmt: str) -> tuple[str | None, tuple[str, ...]]:
        if fmt == FORMAT_MDOC:
            doctype = meta.get("doctype_value")
            if not isinstance(doctype, str) or not doctype:
                raise _fail("an mdoc query's meta needs doctype_value")
            return doctype, ()
        vcts = _array(meta.get("vct_values"), "meta vct_values", MAX_OPTIONS)
        if not all(isinstance(v, str) and v for v in vcts):
            raise _fail("vct_values must be non-empty strings")
        return None, tuple(vcts)

    @staticmethod
    def _claim_sets(value: Any, claims: tuple[ClaimsQuery, ...] | None) -> tuple[tuple[str, ...], ...] | None:
        if value is None:
            return None
        if claims is None:  # §6.4.1: claim_sets MUST NOT be present if claims is absent
            raise _fail("claim_sets needs claims")
        known = {c.id for c in claims if c.id is not None}
        if len(known) != len(claims):
            raise _fail("every claims query needs an id when claim_sets is present")
        sets = []
        for option in _array(value, "claim_sets", MAX_OPTIONS):
            ids = tuple(_identifier(i, "claim_sets entry") for i in _array(option, "a claim set", MAX_CLAIMS))
            if not set(ids) <= known:
                raise _fail("claim_sets names a claims id that does not exist")
            sets.append(ids)
        return tuple(sets)

    def to_json(self) -> dict[str, Any]:
        meta: dict[str, Any] = ({"doctype_value": self.doctype_value} if self.format == FORMAT_MDOC
                                else {"vct_values": list(self.vct_values)})
        out: dict[str, Any] = {"id": self.id, "format": self.format, "meta": meta}
        if self.claims is not None:
            out["claims"] = [c.to_json() for c in self.claims]
        if self.claim_sets is not None:
            out["claim_sets"] = [list(s) for s in self.claim_sets]
        if self.multiple:
            out["multiple"] = True
        if not self.require_cryptographic_holder_binding:
            out["require_cryptographic_holder_binding"] = False
        return out

    @property
    def type_identifiers(self) -> tuple[str, ...]:
        """The docType or vct values this query accepts."""
        return (self.doctype_value,) if self.doctype_value is not None else self.vct_values

    def claim_options(self) -> tuple[tuple[ClaimsQuery, ...], ...]:
        """§6.4.1: the claim combinations asked for, most preferred first (one option without claim_sets)."""
        if self.claims is None:
            return ((),)
        if self.claim_sets is None:
            return (self.claims,)
        by_id = {c.id: c for c in self.claims}
        return tuple(tuple(by_id[i] for i in option) for option in self.claim_sets)


@dataclass(frozen=True, slots=True)
class CredentialSetQuery:
    """§6.2: ``options`` (lists of credential query ids, most preferred first) and ``required``."""

    options: tuple[tuple[str, ...], ...]
    required: bool = True

    @classmethod
    def from_json(cls, value: Any, known: set[str]) -> CredentialSetQuery:
        if not isinstance(value, dict):
            raise _fail("a credential set query must be an object")
        options = []
        for option in _array(value.get("options"), "options", MAX_OPTIONS):
            ids = tuple(_identifier(i, "options entry") for i in _array(option, "an option", MAX_CREDENTIALS))
            if not set(ids) <= known:
                raise _fail("credential_sets names a credential query id that does not exist")
            options.append(ids)
        return cls(tuple(options), _bool(value, "required", True))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"options": [list(o) for o in self.options]}
        if not self.required:
            out["required"] = False
        return out


@dataclass(frozen=True, slots=True)
class SetChoice:
    """How one credential set was answered: ``option`` is the index taken (None: an optional set left out)."""

    set_index: int
    option: int | None
    options: int
    required: bool


@dataclass(frozen=True, slots=True)
class DcqlChoice:
    credential_ids: tuple[str, ...]  # the credential queries to answer, in query order
    sets: tuple[SetChoice, ...]  # empty when the query has no credential_sets


@dataclass(frozen=True, slots=True)
class DcqlQuery:
    credentials: tuple[CredentialQuery, ...]
    credential_sets: tuple[CredentialSetQuery, ...] | None = None

    @classmethod
    def from_json(cls, value: Any) -> DcqlQuery:
        if not isinstance(value, dict):
            raise _fail("dcql_query must be an object")
        credentials = tuple(CredentialQuery.from_json(c)
                            for c in _array(value.get("credentials"), "credentials", MAX_CREDENTIALS))
        ids = {c.id for c in credentials}
        if len(ids) != len(credentials):
            raise _fail("a credential query id appears twice")
        sets = None
        if "credential_sets" in value:
            sets = tuple(CredentialSetQuery.from_json(s, ids)
                         for s in _array(value["credential_sets"], "credential_sets", MAX_OPTIONS))
        return cls(credentials, sets)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"credentials": [c.to_json() for c in self.credentials]}
        if self.credential_sets is not None:
            out["credential_sets"] = [s.to_json() for s in self.credential_sets]
        return out

    def credential(self, query_id: str) -> CredentialQuery:
        for query in self.credentials:
            if query.id == query_id:
                return query
        raise _fail(f"no credential query {query_id!r}")

    def choose(self, can_answer: Callable[[CredentialQuery], bool]) -> DcqlChoice:
        """§6.4.2 for a wallet: without credential_sets every query must be answered; with them, the first
        option of each set whose queries can all be answered (a required set with none fails)."""
        answerable = {q.id for q in self.credentials if can_answer(q)}
        if self.credential_sets is None:
            missing = [q.id for q in self.credentials if q.id not in answerable]
            if missing:
                raise Oid4vpError("the wallet holds no credential for a requested query",
                                  code="oid4vp.no_credential")
            return DcqlChoice(tuple(q.id for q in self.credentials), ())
        chosen: set[str] = set()
        choices = []
        for index, cset in enumerate(self.credential_sets):
            option = next((i for i, ids in enumerate(cset.options) if set(ids) <= answerable), None)
            if option is None and cset.required:
                raise Oid4vpError("the wallet can satisfy none of the options of a required credential set",
                                  code="oid4vp.no_credential")
            if option is not None:
                chosen.update(cset.options[option])
            choices.append(SetChoice(index, option, len(cset.options), cset.required))
        return DcqlChoice(tuple(q.id for q in self.credentials if q.id in chosen), tuple(choices))

    def satisfied_by(self, answered: Sequence[str]) -> bool:
        """§8.6 last step, for a verifier: do the answered query ids meet every required set?"""
        given = set(answered)
        if self.credential_sets is None:
            return all(q.id in given for q in self.credentials)
        return all(any(set(o) <= given for o in s.options) for s in self.credential_sets if s.required)


def select_json_path(root: Mapping[str, Any], path: Sequence[PathElement]) -> list[Any]:
    """§7.1.1: the elements a claims path pointer selects in a JSON credential; an error when none is."""
    selected: list[Any] = [root]
    for component in path:
        if isinstance(component, str):
            if not all(isinstance(s, Mapping) for s in selected):
                raise _fail("a claims path names a key where there is no object")
            selected = [s[component] for s in selected if component in s]
        elif component is None:
            if not all(isinstance(s, list) for s in selected):
                raise _fail("a claims path selects all elements where there is no array")
            selected = [item for s in selected for item in s]
        else:
            if not all(isinstance(s, list) for s in selected):
                raise _fail("a claims path names an index where there is no array")
            selected = [s[component] for s in selected if component < len(s)]
    if not selected:
        raise Oid4vpError("the claims path selects nothing in this credential", code="oid4vp.claim_missing")
    return selected
