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

    Refused for a class with ``__post_init__`` (its checks would be skipped), fields not stored in slots or no
    fields.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or not hasattr(cls, "__slots__"):
        raise TypeError(f"{cls.__name__} is not a frozen, slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} checks its fields in __post_init__: build it with its constructor")
    setters = [getattr(cls, field.name).__set__ for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    if not setters:
        raise TypeError(f"{cls.__name__} has no fields to build")
    # The function is written out for this class's field count, each slot set by its own line, as dataclasses
    # writes __init__ (a loop over the setters would cost as much as __init__ itself). Only the field count
    # reaches the source text: names, classes and setters are passed in, never formatted into it.
    count = len(setters)
    values = ", ".join(f"v{i}" for i in range(count))
    setter_names = ", ".join(f"s{i}" for i in range(count))
    source = "\n".join([f"def make(new, cls, {setter_names}):", f"    def build({values}):", "        obj = new(cls)",
                        *(f"        s{i}(obj, v{i})" for i in range(count)), "        return obj", "    return build"])
    scope: dict[str, Any] = {}
    exec(source, scope)  # noqa: S102 - text made above from the field count alone
    build: Callable[..., T] = scope["make"](object.__new__, cls, *setters)  # closures, as the hand-written ones were
    build.__qualname__ = build.__name__ = f"build_{cls.__name__}"
    return build
