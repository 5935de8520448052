"""The optional C parts: specs.cbor (the common case of the strict decoder), specs.jose (base64url) and specs.sdjwt
(the common case of disclosure processing); everything else is in pyproject.toml.

``optional=True``: without a C compiler the build goes on and specs.cbor, specs.jose and specs.sdjwt use their pure
Python code alone.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("specs.cbor._strict", ["specs/cbor/_strict.c"], optional=True),
                   Extension("specs.jose._b64url", ["specs/jose/_b64url.c"], optional=True),
                   Extension("specs.sdjwt._walk", ["specs/sdjwt/_walk.c"], optional=True)])
