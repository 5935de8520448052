"""The optional C parts in tests: each part's module keeps it as ``_native`` (``specs.native.load``).

A test comparing a C part with its Python code fails, not skips, when the part is not built (a skip would hide a
build that silently left it out); ``python_only`` runs a block on the Python code alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


def native_part(*modules: Any) -> Any:
    """The first module's C part, failing the test when any of ``modules`` has none."""
    missing = [module.__name__ for module in modules if module._native is None]
    if missing:
        pytest.fail(f"the C part of {', '.join(missing)} is not built: `pip install -e .` (or `python setup.py "
                    "build_ext --inplace`) with a C compiler, and MOBILEID_PURE_CBOR unset")
    return modules[0]._native


@contextmanager
def python_only(module: Any) -> Iterator[None]:
    """The block runs with ``module``'s C part switched off, and it is back afterwards whatever happens."""
    native = module._native
    module._native = None
    try:
        yield
    finally:
        module._native = native
