"""The optional C part of specs.cbor (the common case of the strict decoder); everything else is in pyproject.toml.

``optional=True``: without a C compiler the build goes on and specs.cbor uses its pure Python decoder alone.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("specs.cbor._strict", ["specs/cbor/_strict.c"], optional=True)])
