/* The common case of specs.qr.base45.b45decode in C (RFC 9285 §4.2).
 *
 * decode(text) returns the bytes b45decode returns for ``text``, or None whenever the text is anything but
 * plainly valid base45: not a str, a character outside the alphabet (any non-ASCII character included), a
 * length of 1 mod 3, a triplet above 0xFFFF or a final pair above 0xFF. The caller then runs the Python
 * decoder, which decides and says what is wrong: this module never refuses and never accepts anything the
 * Python decoder would refuse, it only answers early for what it is sure of.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* RFC 9285 §4: the 45 characters, in value order (the same string as specs.qr.base45.ALPHABET). */
static const char ALPHABET[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
static unsigned char VALUE[256]; /* character -> value 0..44, 0xFF for any other byte */

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
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (length % 3 == 1) {
        Py_RETURN_NONE;
    }
    const unsigned char *in = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t triplets = length / 3, tail = length % 3 ? 1 : 0;
    PyObject *out = PyBytes_FromStringAndSize(NULL, triplets * 2 + tail);
    if (out == NULL) {
        return NULL;
    }
    unsigned char *o = (unsigned char *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < triplets; i++, in += 3, o += 2) {
        unsigned int c = VALUE[in[0]], d = VALUE[in[1]], e = VALUE[in[2]];
        if ((c | d | e) & 0x80) { /* a value is 0..44, an unknown character 0xFF */
            goto defer;
        }
        unsigned int n = c + 45 * d + 2025 * e;
        if (n > 0xFFFF) {
            goto defer;
        }
        o[0] = (unsigned char)(n >> 8);
        o[1] = (unsigned char)(n & 0xFF);
    }
    if (tail) {
        unsigned int c = VALUE[in[0]], d = VALUE[in[1]];
        if ((c | d) & 0x80 || c + 45 * d > 0xFF) {
            goto defer;
        }
        o[0] = (unsigned char)(c + 45 * d);
    }
    return out;
defer:
    Py_DECREF(out);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"decode", base45_decode, METH_O, "decode(text): the bytes, or None when the Python decoder must decide"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "specs.qr._base45",
                                    "Base45 decoding, the common case in C (see specs/qr/base45.py).", -1, methods};

PyMODINIT_FUNC PyInit__base45(void) {
    memset(VALUE, 0xFF, sizeof VALUE);
    for (unsigned char i = 0; ALPHABET[i] != '\0'; i++) {
        VALUE[(unsigned char)ALPHABET[i]] = i;
    }
    return PyModule_Create(&module);
}
