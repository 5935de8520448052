/* The common case of specs.jose.jws's base64url (RFC 4648 §5, RFC 7515 §2: no padding) in C.
 *
 * decode(text) returns the bytes b64url_decode(text) would return, and decode_text(text) the str
 * b64url_decode(text).decode("utf-8") would return; both return the module's DEFER object for anything
 * else, whatever it is: an object that is not a str, text that is not ASCII, a length of 1 mod 4, any
 * character outside A-Z a-z 0-9 '-' '_' (padding, '+', '/', whitespace and NUL included) and, for
 * decode_text, decoded bytes that are not UTF-8. The caller then runs the Python functions, which decide
 * and say what is wrong: this module never refuses and never accepts anything they would refuse.
 *
 * The Python decoder (binascii.a2b_base64 in strict mode) ignores the unused low bits of the last
 * character (RFC 4648 §3.5 lets a decoder refuse them; ours does not), so this one ignores them too.
 *
 * encode(data) is b64url_encode(data) for bytes: base64url without padding, as ASCII text.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static PyObject *DEFER; /* returned when the Python functions must decide */

/* Each character's 6 bits already shifted to its place in a 4-character group; BAD (bit 24, above the
 * 24 data bits) marks a character outside the alphabet, so one OR over the whole input finds any. */
#define BAD 0x1000000u
static uint32_t place0[256], place1[256], place2[256], place3[256];
static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void build_tables(void) {
    for (int c = 0; c < 256; c++) {
        place0[c] = place1[c] = place2[c] = place3[c] = BAD;
    }
    for (uint32_t v = 0; v < 64; v++) {
        unsigned char c = (unsigned char)ALPHABET[v];
        place0[c] = v << 18;
        place1[c] = v << 12;
        place2[c] = v << 6;
        place3[c] = v;
    }
}

/* The decoded size of n characters, or -1 when n is 1 mod 4 (no whole byte; the Python decoder refuses). */
static Py_ssize_t decoded_size(Py_ssize_t n) {
    Py_ssize_t rest = n % 4;
    if (rest == 1) {
        return -1;
    }
    return n / 4 * 3 + (rest ? rest - 1 : 0);
}

/* Decodes n characters of s into out (decoded_size(n) bytes); 0 if a character is outside the alphabet. */
static int decode_into(const unsigned char *s, Py_ssize_t n, unsigned char *out) {
    uint32_t bad = 0;
    Py_ssize_t whole = n / 4;
    for (Py_ssize_t i = 0; i < whole; i++, s += 4, out += 3) {
        uint32_t v = place0[s[0]] | place1[s[1]] | place2[s[2]] | place3[s[3]];
        bad |= v;
        out[0] = (unsigned char)(v >> 16);
        out[1] = (unsigned char)(v >> 8);
        out[2] = (unsigned char)v;
    }
    switch (n % 4) {
    case 2: {
        uint32_t v = place0[s[0]] | place1[s[1]];
        bad |= v;
        out[0] = (unsigned char)(v >> 16);
        break;
    }
    case 3: {
        uint32_t v = place0[s[0]] | place1[s[1]] | place2[s[2]];
        bad |= v;
        out[0] = (unsigned char)(v >> 16);
        out[1] = (unsigned char)(v >> 8);
        break;
    }
    default:
        break;
    }
    return (bad & BAD) == 0;
}

/* The ASCII characters of a str and their number, or NULL for anything that is not ASCII text. */
static const unsigned char *ascii_of(PyObject *text, Py_ssize_t *n) {
    if (!PyUnicode_Check(text)) {
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000 /* every str is ready from 3.12 on */
    if (PyUnicode_READY(text) < 0) {
        PyErr_Clear();
        return NULL;
    }
#endif
    if (!PyUnicode_IS_ASCII(text)) {
        return NULL;
    }
    *n = PyUnicode_GET_LENGTH(text);
    return (const unsigned char *)PyUnicode_DATA(text);
}

static PyObject *defer(void) {
    Py_INCREF(DEFER);
    return DEFER;
}

static PyObject *b64_decode(PyObject *module, PyObject *text) {
    Py_ssize_t n;
    const unsigned char *s = ascii_of(text, &n);
    Py_ssize_t size = s ? decoded_size(n) : -1;
    if (size < 0) {
        return defer();
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) {
        return NULL;
    }
    if (!decode_into(s, n, (unsigned char *)PyBytes_AS_STRING(out))) {
        Py_DECREF(out);
        return defer();
    }
    return out;
}

static PyObject *b64_decode_text(PyObject *module, PyObject *text) {
    Py_ssize_t n;
    const unsigned char *s = ascii_of(text, &n);
    Py_ssize_t size = s ? decoded_size(n) : -1;
    if (size < 0) {
        return defer();
    }
    /* Decoded straight into an ASCII str, the usual case (JSON with non-ASCII escaped or absent); the bytes
     * are checked after, and anything not ASCII is decoded from the same buffer as UTF-8 instead. */
    PyObject *out = PyUnicode_New(size, 127);
    if (out == NULL) {
        return NULL;
    }
    unsigned char *data = PyUnicode_1BYTE_DATA(out);
    if (!decode_into(s, n, data)) {
        Py_DECREF(out);
        return defer();
    }
    unsigned char high = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        high |= data[i];
    }
    if (!(high & 0x80)) {
        return out;
    }
    PyObject *text_out = PyUnicode_DecodeUTF8((const char *)data, size, NULL);
    Py_DECREF(out); /* never seen by anyone: it held bytes that are not ASCII */
    if (text_out == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
            return NULL; /* MemoryError: not a verdict on the input */
        }
        PyErr_Clear();
        return defer();
    }
    return text_out;
}

static PyObject *b64_encode(PyObject *module, PyObject *data) {
    if (!PyBytes_Check(data)) {
        PyErr_SetString(PyExc_TypeError, "encode takes bytes");
        return NULL;
    }
    const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t n = PyBytes_GET_SIZE(data);
    Py_ssize_t rest = n % 3;
    if (n / 3 > (PY_SSIZE_T_MAX - 3) / 4) {
        return PyErr_NoMemory();
    }
    Py_ssize_t size = n / 3 * 4 + (rest ? rest + 1 : 0);
    PyObject *out = PyUnicode_New(size, 127);
    if (out == NULL) {
        return NULL;
    }
    unsigned char *o = PyUnicode_1BYTE_DATA(out);
    const unsigned char *end = s + (n - rest);
    for (; s < end; s += 3, o += 4) {
        uint32_t v = ((uint32_t)s[0] << 16) | ((uint32_t)s[1] << 8) | s[2];
        o[0] = (unsigned char)ALPHABET[v >> 18];
        o[1] = (unsigned char)ALPHABET[(v >> 12) & 63];
        o[2] = (unsigned char)ALPHABET[(v >> 6) & 63];
        o[3] = (unsigned char)ALPHABET[v & 63];
    }
    if (rest == 1) {
        o[0] = (unsigned char)ALPHABET[s[0] >> 2];
        o[1] = (unsigned char)ALPHABET[(s[0] & 3) << 4];
    } else if (rest == 2) {
        uint32_t v = ((uint32_t)s[0] << 8) | s[1];
        o[0] = (unsigned char)ALPHABET[v >> 10];
        o[1] = (unsigned char)ALPHABET[(v >> 4) & 63];
        o[2] = (unsigned char)ALPHABET[(v << 2) & 63];
    }
    return out;
}

static PyMethodDef methods[] = {
    {"decode", b64_decode, METH_O, "base64url (no padding) -> bytes, or DEFER"},
    {"decode_text", b64_decode_text, METH_O, "base64url (no padding) of UTF-8 -> str, or DEFER"},
    {"encode", b64_encode, METH_O, "bytes -> base64url without padding"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "specs.jose._b64url", "base64url for specs.jose (the common case; see _b64url.c)", -1,
    methods,
};

PyMODINIT_FUNC PyInit__b64url(void) {
    build_tables();
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    DEFER = PyObject_CallNoArgs((PyObject *)&PyBaseObject_Type);
    if (DEFER == NULL || PyModule_AddObjectRef(module, "DEFER", DEFER) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
