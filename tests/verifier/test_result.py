"""The verdict's types (verifier/result.py): the catalogue's names of a verified type, looked up once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from specs.catalogue import Catalogue
from verifier.result import type_names

TYPES = Path(__file__).resolve().parents[2] / "specs" / "catalogue" / "types"
AGE = "kr.mobileid.age.1"


def renamed_catalogue(folder: Path, en: str, ko: str = "나이 증명") -> Catalogue:
    """A catalogue holding the age attestation under other names (and no other type)."""
    doc = json.loads((TYPES / "age_attestation.json").read_text("utf-8"))
    doc["display"]["name"].update({"en": en, "ko": ko})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "age_attestation.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return Catalogue.from_folder(folder)


def test_type_names_by_doctype_or_id() -> None:
    default = Catalogue.load_default()
    names = type_names(default, AGE)
    assert dict(names) == {"ko": "연령 확인 증명", "en": "Age attestation"}
    assert type_names(default, "age_attestation") == names
    assert type_names(default, AGE) is names  # looked up once
    assert type_names(default, "org.example.not-listed") == {}


def test_each_catalogue_keeps_its_own_names(tmp_path: Path) -> None:
    """A verifier given another catalogue (another object) gets that catalogue's names, never cached ones."""
    default = Catalogue.load_default()
    assert type_names(default, AGE)["en"] == "Age attestation"
    other = renamed_catalogue(tmp_path / "a", "Proof of age")
    assert dict(type_names(other, AGE)) == {"ko": "나이 증명", "en": "Proof of age"}
    assert type_names(renamed_catalogue(tmp_path / "b", "Age proof"), AGE)["en"] == "Age proof"
    assert type_names(default, AGE)["en"] == "Age attestation"
    assert type_names(other, "mdl") == {}  # that catalogue does not list the licence


def test_type_names_are_read_only() -> None:
    names = type_names(Catalogue.load_default(), AGE)
    with pytest.raises(TypeError):
        names["en"] = "Something else"  # type: ignore[index]


@pytest.mark.parametrize("fields", [
    dict(format="mdoc", doctype="org.iso.18013.5.1.mDL", vct=None, claims={"org.iso.18013.5.1": {"age_over_19": True}},
         holder_bound=True, status="valid", type_name={"en": "Licence"}, issuer="DS", status_as_of=None),
    dict(format="sd-jwt", doctype=None, vct="urn:x", claims={}, holder_bound=False, status="unchecked", type_name={},
         issuer=None, status_as_of=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
])
def test_authentic_result_is_the_constructor_s_object(fields: dict[str, Any]) -> None:
    """The builder makes the object ``VerificationResult(authentic=True, ...)`` makes: equal, every field the same
    object, still frozen."""
    from dataclasses import FrozenInstanceError
    from dataclasses import fields as dataclass_fields

    from verifier.result import VerificationResult, authentic_result

    built = authentic_result(*fields.values())
    made = VerificationResult(authentic=True, **fields)
    assert built == made and type(built) is VerificationResult
    for field in dataclass_fields(VerificationResult):
        assert getattr(built, field.name) is getattr(made, field.name) or getattr(built, field.name) == getattr(
            made, field.name), field.name
    with pytest.raises(FrozenInstanceError):
        built.authentic = False  # type: ignore[misc]
