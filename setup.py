"""The optional C parts: specs.cbor (the common case of the strict decoder), specs.jose (base64url), specs.qr
(base45, and the common scan of one code's text to its response, inflating with zlib's libz), specs.sdjwt (the
common case of disclosure processing and of SD-JWT VC verification) and specs.mdoc (the common case of reading and
checking a DeviceResponse); everything else is in pyproject.toml.

``optional=True``: without a C compiler the build goes on and the pure Python code runs alone. specs.mdoc._fast and
specs.sdjwt._walk hash with OpenSSL 3's libcrypto when its headers are there (libssl-dev), else through hashlib: the
same digests, the first without a Python call per digest. MOBILEID_NO_OPENSSL=1 builds the second.
"""

import os
import tempfile

from setuptools import Extension, setup

_PROBE = """#include <openssl/evp.h>
int main(void) {
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    return context == NULL || md == NULL || EVP_DigestInit_ex2(context, md, NULL) != 1;
}
"""


def _openssl() -> bool:
    """Whether a program using OpenSSL 3's digest interface compiles and links here."""
    if os.environ.get("MOBILEID_NO_OPENSSL"):
        return False
    try:
        from setuptools._distutils.ccompiler import new_compiler
        from setuptools._distutils.sysconfig import customize_compiler

        compiler = new_compiler()
        customize_compiler(compiler)
        with tempfile.TemporaryDirectory() as tmp:
            source = os.path.join(tmp, "probe.c")
            with open(source, "w") as out:
                out.write(_PROBE)
            objects = compiler.compile([source], output_dir=tmp)
            compiler.link_executable(objects, os.path.join(tmp, "probe"), libraries=["crypto"])
        return True
    except Exception:  # no compiler, no headers or an older OpenSSL: hashlib does the hashing
        return False


_hashing = {"libraries": ["crypto"], "define_macros": [("MOBILEID_OPENSSL", "1")]} if _openssl() else {}
# included by _scan.c (the first by _base45.c too)
_qr_parts = ["specs/qr/_b45.h", "specs/qr/_envelope.h", "specs/qr/_objects.h"]
_mdoc_parts = [f"specs/mdoc/_{part}.h" for part in ("message", "value", "mso", "document")]  # included by _fast.c
_sdjwt_parts = [f"specs/sdjwt/_{part}.h" for part in ("disclose", "tree", "checks", "vc")]  # included by _walk.c
setup(ext_modules=[Extension("specs.cbor._strict", ["specs/cbor/_strict.c"], optional=True),
                   Extension("specs.jose._b64url", ["specs/jose/_b64url.c"], depends=["specs/jose/_json.h"],
                             optional=True),
                   Extension("specs.qr._base45", ["specs/qr/_base45.c"], depends=["specs/qr/_b45.h"], optional=True),
                   Extension("specs.qr._scan", ["specs/qr/_scan.c"], depends=_qr_parts, libraries=["z"],
                             optional=True),
                   Extension("specs.sdjwt._walk", ["specs/sdjwt/_walk.c"], depends=_sdjwt_parts, optional=True,
                             **_hashing),
                   Extension("specs.mdoc._fast", ["specs/mdoc/_fast.c"], depends=_mdoc_parts, optional=True,
                             **_hashing)])
