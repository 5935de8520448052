"""The optional C parts: specs.cbor (the common case of the strict decoder) and specs.jose (base64url); everything
else is in pyproject.toml.

``optional=True``: without a C compiler the build goes on and specs.cbor and specs.jose use their pure Python code
alone.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("specs.cbor._strict", ["specs/cbor/_strict.c"], optional=True),
                   Extension("specs.jose._b64url", ["specs/jose/_b64url.c"], optional=True)])
