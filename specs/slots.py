"""Frozen, slotted dataclasses built on hot paths without their generated ``__init__``.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, a lookup and a call per field.
A verifier builds several such objects per presentation (one per presented element or disclosure), so the hot
paths build them with ``builder(cls)``: a function made once per class that creates the instance and sets its
slots directly. The object is the same one ``cls(...)`` makes: same fields, same order, still frozen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["builder"]

T = TypeVar("T")


def builder(cls: type[T]) -> Callable[..., T]:
    """``build(*values)`` for the frozen, slotted dataclass ``cls``: its fields positionally, all of them, in order.

    Refused for a class with ``__post_init__`` (its checks would be skipped) or fields not stored in slots.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or not hasattr(cls, "__slots__"):
        raise TypeError(f"{cls.__name__} is not a frozen, slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} checks its fields in __post_init__: build it with its constructor")
    setters = [getattr(cls, field.name).__set__ for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    new = object.__new__
    # One function per field count, each setting every slot in order (a loop over the setters would cost as
    # much as __init__ itself).
    if len(setters) == 3:
        s0, s1, s2 = setters

        def build3(v0: Any, v1: Any, v2: Any) -> T:
            obj = new(cls)
            s0(obj, v0)
            s1(obj, v1)
            s2(obj, v2)
            return obj

        return build3
    if len(setters) == 4:
        s0, s1, s2, s3 = setters

        def build4(v0: Any, v1: Any, v2: Any, v3: Any) -> T:
            obj = new(cls)
            s0(obj, v0)
            s1(obj, v1)
            s2(obj, v2)
            s3(obj, v3)
            return obj

        return build4
    if len(setters) == 5:
        s0, s1, s2, s3, s4 = setters

        def build5(v0: Any, v1: Any, v2: Any, v3: Any, v4: Any) -> T:
            obj = new(cls)
            s0(obj, v0)
            s1(obj, v1)
            s2(obj, v2)
            s3(obj, v3)
            s4(obj, v4)
            return obj

        return build5
    raise TypeError(f"{cls.__name__}: builder() makes functions for 3 to 5 fields")
