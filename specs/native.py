"""The optional C parts of specs, loaded in one place.

Each C part (specs/cbor/_strict.c, specs/jose/_b64url.c, specs/qr/_base45.c, specs/qr/_scan.c,
specs/sdjwt/_walk.c, specs/mdoc/_fast.c) is built when a C compiler was there at install time, does the common
case of one Python function and defers everything else to it. ``MOBILEID_PURE_CBOR=1`` switches every one of them
off (the pure Python figures of the benchmarks, a suspected C fault); a part may name further switches of its own.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

__all__ = ["PURE", "load"]

PURE = "MOBILEID_PURE_CBOR"


def load(module: str, *switches: str) -> ModuleType | None:
    """The C part ``module`` when it is built and neither ``MOBILEID_PURE_CBOR`` nor a switch of its own is set."""
    if any(os.environ.get(name) for name in (PURE, *switches)):
        return None
    try:
        return importlib.import_module(module)
    except ImportError:  # not built: the pure Python code runs alone
        return None
