/* The common case of specs.jose.jws's base64url (RFC 4648 §5, RFC 7515 §2: no padding) in C.
 *
 * decode(text) returns the bytes b64url_decode(text) would return, and decode_text(text) the str
 * b64url_decode(text).decode("utf-8") would return; both return the module's DEFER object for anything else, whatever
 * it is: an object that is not a str, text that is not ASCII, a length of 1 mod 4, any character outside A-Z a-z 0-9
 * '-' '_' (padding, '+', '/', whitespace and NUL included) and, for decode_text, decoded bytes that are not UTF-8. The
 * caller then runs the Python functions, which decide and say what is wrong: this module never refuses and never
 * accepts anything they would refuse.
 *
 * The Python decoder (binascii.a2b_base64 in strict mode) ignores the unused low bits of the last character (RFC 4648
 * §3.5 lets a decoder refuse them; ours does not), so this one ignores them too.
 *
 * encode(data) is b64url_encode(data) for bytes: base64url without padding, as ASCII text.
 *
 * parse_compact(compact, scan_once) is the common case of Jws.parse (specs/jose/jws.py) below its size check: the
 * header and payload decoded as decode_text does and scanned by scan_once (the strict JSON scanner of specs.jose.jws;
 * the usual JSON is read by _json.h instead, which gives what that scanner gives) into JSON objects that fill their
 * text, the header with a text alg and no crit, the signature decoded as decode does; (header, payload, signing input
 * bytes, signature bytes), or DEFER for anything else.
 *
 * der_signature(raw) is raw_to_der_signature (specs/crypto/algorithms.py) for ES256 and ES384, DEFER otherwise.
 *
 * object_of(refuse, pairs) is the strict JSON scanner's object_pairs_hook, _no_duplicates, without a Python frame per
 * JSON object: the dict of pairs, or refuse(pairs) (which raises) when a member name comes twice.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static PyObject *DEFER; /* returned when the Python functions must decide */

#include "_json.h"
static PyObject *CRIT, *ALG; /* "crit", "alg" */

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

/* The str that n characters of base64url at s decode to as UTF-8, or DEFER (a new reference either way), or NULL
 * with an exception that is not a verdict on the input (MemoryError). */
static PyObject *text_of(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t size = decoded_size(n);
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

static PyObject *b64_decode_text(PyObject *module, PyObject *text) {
    Py_ssize_t n;
    const unsigned char *s = ascii_of(text, &n);
    if (s == NULL) {
        return defer();
    }
    return text_of(s, n);
}

/* The JSON object n characters of base64url at s hold, as b64url_json's fast path finds it (the scanner's
 * value filling the text exactly), or DEFER, or NULL with a MemoryError. */
static PyObject *json_object_of(const unsigned char *s, Py_ssize_t n, PyObject *scan_once) {
    PyObject *text = text_of(s, n);
    if (text == NULL || text == DEFER) {
        return text;
    }
    PyObject *plain = plain_json(text); /* the usual JSON, read here; anything else by the scanner */
    if (plain != NULL || PyErr_Occurred()) {
        Py_DECREF(text);
        if (plain != NULL && !PyDict_CheckExact(plain)) {
            Py_DECREF(plain);
            return defer();
        }
        return plain;
    }
    PyObject *zero = PyLong_FromLong(0);
    if (zero == NULL) {
        Py_DECREF(text);
        return NULL;
    }
    PyObject *args[2] = {text, zero};
    PyObject *scanned = PyObject_Vectorcall(scan_once, args, 2, NULL);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    Py_DECREF(zero);
    Py_DECREF(text);
    if (scanned == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_Exception) || PyErr_ExceptionMatches(PyExc_MemoryError)) {
            return NULL; /* not a verdict on the input (KeyboardInterrupt included) */
        }
        PyErr_Clear(); /* StopIteration, ValueError, RecursionError, a duplicate member: Python says */
        return defer();
    }
    PyObject *value = NULL;
    if (PyTuple_CheckExact(scanned) && PyTuple_GET_SIZE(scanned) == 2 &&
        PyDict_CheckExact(PyTuple_GET_ITEM(scanned, 0)) && PyLong_CheckExact(PyTuple_GET_ITEM(scanned, 1))) {
        Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(scanned, 1));
        if (end == -1 && PyErr_Occurred()) {
            PyErr_Clear();
        } else if (end == length) {
            value = PyTuple_GET_ITEM(scanned, 0);
            Py_INCREF(value);
        }
    }
    Py_DECREF(scanned);
    return value ? value : defer();
}

/* Jws.parse's common case: (header, payload, signing input, signature) of an ASCII compact JWS with exactly two
 * dots, a header and payload that are base64url JSON objects, a header with a text alg and no crit, and a
 * base64url signature; DEFER for anything else (Python then decides and says what is wrong). */
static PyObject *b64_parse_compact(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "parse_compact(compact, scan_once)");
        return NULL;
    }
    Py_ssize_t n;
    const unsigned char *s = PyUnicode_CheckExact(args[0]) ? ascii_of(args[0], &n) : NULL;
    if (s == NULL) {
        return defer();
    }
    const unsigned char *first = memchr(s, '.', (size_t)n);
    const unsigned char *second = first ? memchr(first + 1, '.', (size_t)(s + n - first - 1)) : NULL;
    if (second == NULL || memchr(second + 1, '.', (size_t)(s + n - second - 1)) != NULL) {
        return defer();
    }
    Py_ssize_t sig_n = s + n - second - 1, sig_size = decoded_size(sig_n);
    if (sig_size < 0) {
        return defer();
    }
    PyObject *header = NULL, *payload = NULL, *signing_input = NULL, *signature = NULL, *out = NULL;
    header = json_object_of(s, first - s, args[1]);
    if (header == NULL || header == DEFER) {
        return header;
    }
    int crit = PyDict_Contains(header, CRIT);
    PyObject *alg = crit == 0 ? PyDict_GetItemWithError(header, ALG) : NULL;
    if (alg == NULL || !PyUnicode_Check(alg)) {
        if (!PyErr_Occurred()) { /* a dict of str keys raises only when the interpreter itself fails */
            out = defer();
        }
        goto done;
    }
    payload = json_object_of(first + 1, second - first - 1, args[1]);
    if (payload == NULL || payload == DEFER) {
        out = payload;
        payload = NULL;
        goto done;
    }
    signature = PyBytes_FromStringAndSize(NULL, sig_size);
    if (signature == NULL) {
        goto done;
    }
    if (!decode_into(second + 1, sig_n, (unsigned char *)PyBytes_AS_STRING(signature))) {
        out = defer();
        goto done;
    }
    signing_input = PyBytes_FromStringAndSize((const char *)s, second - s);
    if (signing_input != NULL) {
        out = PyTuple_Pack(4, header, payload, signing_input, signature);
    }
done:
    Py_XDECREF(header);
    Py_XDECREF(payload);
    Py_XDECREF(signing_input);
    Py_XDECREF(signature);
    return out;
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

/* der_signature(raw): raw_to_der_signature(raw, ES256 or ES384) (specs/crypto/algorithms.py) for bytes of 64 or
 * 96 bytes, r || s: DER Ecdsa-Sig-Value (RFC 3279 §2.2.3), each INTEGER in its fewest bytes with a zero byte
 * before a set top bit (X.690 §8.3). DEFER for anything else (other lengths, P-521's long-form lengths). */
static PyObject *der_signature(PyObject *module, PyObject *raw) {
    if (!PyBytes_CheckExact(raw) || (PyBytes_GET_SIZE(raw) != 64 && PyBytes_GET_SIZE(raw) != 96)) {
        Py_INCREF(DEFER);
        return DEFER;
    }
    Py_ssize_t n = PyBytes_GET_SIZE(raw) / 2;
    const unsigned char *half[2] = {(const unsigned char *)PyBytes_AS_STRING(raw),
                                    (const unsigned char *)PyBytes_AS_STRING(raw) + n};
    Py_ssize_t skip[2], size[2];
    for (int i = 0; i < 2; i++) {
        Py_ssize_t k = 0;
        while (k < n - 1 && half[i][k] == 0) { /* lstrip(b"\x00") or b"\x00" */
            k++;
        }
        skip[i] = k;
        size[i] = n - k + (half[i][k] > 0x7F); /* the zero byte that keeps it positive */
    }
    Py_ssize_t body = size[0] + size[1] + 4; /* at most 2 * 49 + 4 = 102: a short-form length */
    PyObject *der = PyBytes_FromStringAndSize(NULL, body + 2);
    if (der == NULL) {
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(der);
    *out++ = 0x30;
    *out++ = (unsigned char)body;
    for (int i = 0; i < 2; i++) {
        *out++ = 0x02;
        *out++ = (unsigned char)size[i];
        if (size[i] > n - skip[i]) {
            *out++ = 0;
        }
        memcpy(out, half[i] + skip[i], (size_t)(n - skip[i]));
        out += n - skip[i];
    }
    return der;
}

static PyMethodDef methods[] = {
    {"decode", b64_decode, METH_O, "base64url (no padding) -> bytes, or DEFER"},
    {"decode_text", b64_decode_text, METH_O, "base64url (no padding) of UTF-8 -> str, or DEFER"},
    {"encode", b64_encode, METH_O, "bytes -> base64url without padding"},
    {"der_signature", der_signature, METH_O, "raw r || s (ES256, ES384) -> DER, or DEFER"},
    {"parse_compact", (PyCFunction)(void (*)(void))b64_parse_compact, METH_FASTCALL,
     "compact JWS -> (header, payload, signing input, signature), or DEFER"},
    {"object_of", (PyCFunction)(void (*)(void))object_of, METH_FASTCALL, "the JSON object of pairs, or refuse(pairs)"},
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
    CRIT = PyUnicode_InternFromString("crit");
    ALG = PyUnicode_InternFromString("alg");
    if (DEFER == NULL || CRIT == NULL || ALG == NULL || PyModule_AddObjectRef(module, "DEFER", DEFER) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
