/* The common case of specs.qr.base45.b45decode in C (RFC 9285 §4.2).
 *
 * decode(text) returns the bytes b45decode returns for ``text``, or None whenever the text is anything but
 * plainly valid base45: not a str, a character outside the alphabet (any non-ASCII character included), a
 * length of 1 mod 3, a triplet above 0xFFFF or a final pair above 0xFF. The caller then runs the Python
 * decoder, which decides and says what is wrong: this module never refuses and never accepts anything the
 * Python decoder would refuse, it only answers early for what it is sure of. The decoding itself is in
 * _b45.h, which specs/qr/_scan.c shares.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_b45.h"

static PyObject *base45_decode(PyObject *module, PyObject *text) {
    (void)module;
    if (!PyUnicode_CheckExact(text)) {
        Py_RETURN_NONE;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) {
        return NULL;
    }
#endif
    if (!PyUnicode_IS_ASCII(text)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), size = b45_decoded_length(length);
    if (size < 0) {
        Py_RETURN_NONE;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) {
        return NULL;
    }
    if (b45_decode_into(PyUnicode_1BYTE_DATA(text), length, (unsigned char *)PyBytes_AS_STRING(out)) < 0) {
        Py_DECREF(out);
        Py_RETURN_NONE;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"decode", base45_decode, METH_O, "decode(text): the bytes, or None when the Python decoder must decide"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "specs.qr._base45",
                                    "Base45 decoding, the common case in C (see specs/qr/base45.py).", -1, methods};

PyMODINIT_FUNC PyInit__base45(void) {
    b45_init();
    return PyModule_Create(&module);
}
