"""The optional C parts: of specs.cbor (the common case of the strict decoder) and of specs.qr (the common case of
base45 decoding); everything else is in pyproject.toml.

``optional=True``: without a C compiler the build goes on and each module uses its pure Python decoder alone.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("specs.cbor._strict", ["specs/cbor/_strict.c"], optional=True),
                   Extension("specs.qr._base45", ["specs/qr/_base45.c"], optional=True)])
