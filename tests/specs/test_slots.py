"""specs.slots.builder: the same frozen object as the constructor, refused where it would skip a check."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from specs.jose.jws import Jws
from specs.mdoc.items import IssuerSignedItem
from specs.mdoc.verify import VerifiedDocument
from specs.sdjwt.disclosure import Disclosure
from specs.sdjwt.processing import Processed
from specs.slots import builder


@dataclass(frozen=True, slots=True)
class Three:
    a: int
    b: str
    c: bytes | None = None


@dataclass(frozen=True, slots=True)
class Four:
    a: int
    b: int
    c: int
    d: int


@dataclass(frozen=True, slots=True)
class One:
    a: int


@pytest.mark.parametrize("cls", [One, Three, Four, Jws, Disclosure, Processed, IssuerSignedItem, VerifiedDocument])
def test_builder_makes_what_the_constructor_makes(cls: type) -> None:
    values = list(range(len(dataclasses.fields(cls))))
    built = builder(cls)(*values)
    assert type(built) is cls
    assert built == cls(*values)
    assert [getattr(built, f.name) for f in dataclasses.fields(cls)] == values
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, dataclasses.fields(cls)[0].name, 99)


def test_builder_needs_every_field() -> None:
    with pytest.raises(TypeError):
        builder(Three)(1, "x")  # even one with a default: the builder sets every slot


def test_builder_refuses_a_class_that_checks_itself() -> None:
    @dataclass(frozen=True, slots=True)
    class Checked:
        a: int
        b: int
        c: int

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError("negative")

    with pytest.raises(TypeError, match="__post_init__"):
        builder(Checked)


def test_builder_refuses_mutable_unslotted_and_empty() -> None:
    @dataclass(slots=True)
    class Mutable:
        a: int
        b: int
        c: int

    @dataclass(frozen=True)
    class NoSlots:
        a: int
        b: int
        c: int

    @dataclass(frozen=True, slots=True)
    class Empty:
        pass

    for cls in (Mutable, NoSlots, Empty, int):
        with pytest.raises(TypeError):
            builder(cls)
