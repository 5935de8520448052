"""The optional C parts: specs.cbor (the common case of the strict decoder) and specs.mdoc (the common case of
reading and checking a DeviceResponse); everything else is in pyproject.toml.

``optional=True``: without a C compiler the build goes on and the pure Python code runs alone.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("specs.cbor._strict", ["specs/cbor/_strict.c"], optional=True),
                   Extension("specs.mdoc._fast", ["specs/mdoc/_fast.c"], depends=["specs/mdoc/_value.h"],
                             optional=True)])
