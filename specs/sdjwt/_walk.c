/* The common case of SD-JWT disclosure processing (RFC 9901 §7.1 steps 3-5) in C, for specs.sdjwt.verify, and of
 * SD-JWT VC verification, for specs.sdjwt.vc. disclose and present are in _disclose.h, walk in _tree.h, verify (the
 * whole of verify_sd_jwt + verified_vc for a presentation given as text) in _vc.h, configure and its checks in
 * _checks.h.
 *
 * disclose(parts, decode_text, scan_once, b64_defer) parses the presented disclosures (§4.2) as Disclosure.parse would:
 * each part base64url-decoded to text by decode_text (specs/jose/_b64url.c), that text scanned by scan_once (the strict
 * JSON scanner of specs.jose.jws; an array of plain strings, the usual disclosure, is read here with the same result)
 * and found to be a JSON array [salt, name, value] or [salt, value] with text salt and name, the name not reserved
 * (_sd, ...). It returns a list of (name or None, value, part) tuples.
 *
 * present(text, decode_text, scan_once, b64_defer) splits a presentation as split_sd_jwt would (for ASCII text with
 * nothing to strip) and disclose()s its disclosures: (issuer_jwt, kb_jwt or None, presented, disclosed).
 *
 * walk(disclosed, payload, hasher, encode) indexes those disclosures by digest (hasher over the ASCII of each part,
 * base64url-encoded by encode; hashlib.sha256 is done by libcrypto here when the build found it) and rebuilds the
 * claims from the payload as specs.sdjwt.processing's _Walker does: a new dict for each object with its _sd digests
 * replaced by the disclosed members (after its own members, in _sd order), a new list for each array with its {"...":
 * digest} elements replaced by the disclosed elements or removed, _sd_alg removed from the top. It returns (claims,
 * paths): paths holds where each disclosure landed, in the order the walk found them (the order of _Walker.paths).
 *
 * All three return DEFER for anything else (present: any refusal of split_sd_jwt too): a part that is not base64url
 * JSON of that form, an exception from any callable, the same digest presented or referenced twice, a disclosure
 * referenced from the wrong kind of container or overwriting a member, a malformed _sd or "..." element, a disclosure
 * nobody references, a non-text member name, nesting that reaches processing.MAX_DEPTH. The caller then runs the Python
 * functions, which decide and say what is wrong: this module never refuses and never accepts anything they would
 * refuse. Nothing here raises, except MemoryError-like failures of the interpreter itself.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define MAX_DEPTH 32 /* specs.sdjwt.processing.MAX_DEPTH */

static PyObject *DEFER;
static PyObject *S_SD, *S_DOTS, *S_SD_ALG, *S_DIGEST; /* "_sd", "...", "_sd_alg", "digest" */


static PyObject *defer(void) {
    Py_INCREF(DEFER);
    return DEFER;
}

/* Clears a Python exception that is a verdict on the input (an Exception but not MemoryError: never a
 * KeyboardInterrupt); 1 if it was one. */
static int cleared(void) {
    if (!PyErr_ExceptionMatches(PyExc_Exception) || PyErr_ExceptionMatches(PyExc_MemoryError)) {
        return 0;
    }
    PyErr_Clear();
    return 1;
}

static int reserved(PyObject *name) {
    return PyUnicode_Compare(name, S_SD) == 0 || PyUnicode_Compare(name, S_DOTS) == 0;
}

#include "_disclose.h"
#include "_tree.h"
#include "_checks.h"
#include "_vc.h"


static PyMethodDef methods[] = {
    {"disclose", (PyCFunction)(void (*)(void))disclose, METH_FASTCALL,
     "disclosures -> [(name, value, part)], or DEFER"},
    {"present", (PyCFunction)(void (*)(void))present, METH_FASTCALL,
     "presentation text -> (issuer_jwt, kb_jwt or None, presented, disclosed), or DEFER"},
    {"walk", (PyCFunction)(void (*)(void))walk, METH_FASTCALL, "disclosed, payload -> (claims, paths), or DEFER"},
    {"configure", (PyCFunction)(void (*)(void))configure, METH_FASTCALL,
     "the Python objects verify() needs, handed over once by specs.sdjwt.verify"},
    {"verify", (PyCFunction)(void (*)(void))verify, METH_FASTCALL,
     "presentation text -> VerifiedSdJwtVc (or VerifiedSdJwt), or DEFER"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "specs.sdjwt._walk", "SD-JWT disclosure processing (the common case; see _walk.c)", -1,
    methods,
};

PyMODINIT_FUNC PyInit__walk(void) {
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    S_SD = PyUnicode_InternFromString("_sd");
    S_DOTS = PyUnicode_InternFromString("...");
    S_SD_ALG = PyUnicode_InternFromString("_sd_alg");
    S_DIGEST = PyUnicode_InternFromString("digest");
    DEFER = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
    if (vc_init() < 0) {
        Py_DECREF(module);
        return NULL;
    }
    if (S_SD == NULL || S_DOTS == NULL || S_SD_ALG == NULL || S_DIGEST == NULL || DEFER == NULL ||
        PyModule_AddObjectRef(module, "DEFER", DEFER) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
