/* The common case of specs.cbor.codec.decode in C (RFC 8949, the rules of codec.py's docstring).
 *
 * decode(data, allowed_tags, max_depth) returns the value codec.decode would return for ``data``, or the
 * module's DEFER object whenever the input is anything but plainly well-formed and within every limit:
 * malformed or truncated input, indefinite lengths, trailing bytes, a duplicate key, a key that is not an
 * integer, text or bytes, floats as keys, undefined and other simple values, a tag that is not allowed or
 * that cbor2 would interpret itself, invalid UTF-8, nesting within one level of the depth limit. The caller
 * then runs the Python decoder, which decides and says what is wrong. This module never refuses and never
 * accepts anything the Python decoder would refuse: it only answers early for what it is sure of.
 *
 * Tag 24 becomes the EncodedCBOR of the received bytes; tags 0, 1 and 1004 are handed to the Python
 * functions the codec uses (configure()); any other tag is deferred.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static PyObject *DEFER;            /* returned when the Python decoder must decide */
static PyObject *make_encoded;     /* bytes -> EncodedCBOR */
static PyObject *decode_tdate;     /* str -> datetime (tag 0) */
static PyObject *decode_epoch;     /* int -> datetime (tag 1) */
static PyObject *decode_full_date; /* str -> date (tag 1004) */

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
    PyObject *allowed; /* frozenset of ints */
    int max_depth;
    int defer; /* set when the input is for the Python decoder to judge */
} Reader;

static PyObject *item(Reader *r, int depth);

/* The argument of the initial byte (RFC 8949 §3): 0 and sets r->defer when it is malformed or indefinite. */
static int head(Reader *r, int *major, uint64_t *value) {
    if (r->p >= r->end) {
        r->defer = 1;
        return 0;
    }
    unsigned char initial = *r->p++;
    int info = initial & 0x1f;
    *major = initial >> 5;
    if (info < 24) {
        *value = (uint64_t)info;
        return 1;
    }
    if (info > 27) { /* reserved (28-30) or indefinite (31) */
        r->defer = 1;
        return 0;
    }
    Py_ssize_t size = (Py_ssize_t)1 << (info - 24);
    if (r->end - r->p < size) {
        r->defer = 1;
        return 0;
    }
    uint64_t v = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        v = (v << 8) | r->p[i];
    }
    r->p += size;
    *value = v;
    return 1;
}

static PyObject *negative(uint64_t n) {
    if (n < ((uint64_t)1 << 63)) {
        return PyLong_FromLongLong(-1 - (long long)n);
    }
    PyObject *big = PyLong_FromUnsignedLongLong(n);
    if (big == NULL) {
        return NULL;
    }
    PyObject *result = PyNumber_Invert(big); /* -1 - n */
    Py_DECREF(big);
    return result;
}

static PyObject *simple(Reader *r, uint64_t info_value, const unsigned char *start) {
    int info = start[0] & 0x1f;
    if (info == 20) {
        Py_RETURN_FALSE;
    }
    if (info == 21) {
        Py_RETURN_TRUE;
    }
    if (info == 22) {
        Py_RETURN_NONE;
    }
    if (info == 25) {
        return PyFloat_FromDouble(PyFloat_Unpack2((const char *)start + 1, 0));
    }
    if (info == 26) {
        return PyFloat_FromDouble(PyFloat_Unpack4((const char *)start + 1, 0));
    }
    if (info == 27) {
        return PyFloat_FromDouble(PyFloat_Unpack8((const char *)start + 1, 0));
    }
    (void)info_value;
    r->defer = 1; /* undefined, other simple values */
    return NULL;
}

static PyObject *call_one(PyObject *fn, PyObject *arg, Reader *r) {
    PyObject *result = PyObject_CallOneArg(fn, arg);
    if (result == NULL) { /* the Python decoder raises the same, with its own words */
        PyErr_Clear();
        r->defer = 1;
    }
    return result;
}

static PyObject *tagged(Reader *r, uint64_t tag, int depth) {
    /* cbor2 interprets its own other tags (bignums, decimals, ...) and decodes any other tag's content as
       immutable (tuples, frozen maps): both are left to it */
    if (tag != 0 && tag != 1 && tag != 24 && tag != 1004) {
        r->defer = 1;
        return NULL;
    }
    PyObject *number = PyLong_FromUnsignedLongLong(tag);
    if (number == NULL) {
        return NULL;
    }
    int allowed = PySet_Contains(r->allowed, number);
    Py_DECREF(number);
    if (allowed != 1) {
        if (allowed == 0) {
            r->defer = 1;
        }
        return NULL;
    }
    if (tag == 24 && (r->p >= r->end || (*r->p >> 5) != 2)) { /* tag 24 wraps a byte string */
        r->defer = 1;
        return NULL;
    }
    PyObject *content = item(r, depth + 1);
    if (content == NULL) {
        return NULL;
    }
    PyObject *result = NULL;
    if (tag == 24) {
        result = call_one(make_encoded, content, r);
    } else if (tag == 1) {
        if (PyLong_CheckExact(content)) {
            result = call_one(decode_epoch, content, r);
        } else {
            r->defer = 1;
        }
    } else if (PyUnicode_CheckExact(content)) { /* 0 and 1004 */
        result = call_one(tag == 0 ? decode_tdate : decode_full_date, content, r);
    } else {
        r->defer = 1;
    }
    Py_DECREF(content);
    return result;
}

static PyObject *item(Reader *r, int depth) {
    const unsigned char *start = r->p;
    int major;
    uint64_t value;
    if (!head(r, &major, &value)) {
        return NULL;
    }
    Py_ssize_t remaining = r->end - r->p;
    switch (major) {
    case 0:
        return PyLong_FromUnsignedLongLong(value);
    case 1:
        return negative(value);
    case 2:
    case 3: {
        if (value > (uint64_t)remaining) {
            r->defer = 1;
            return NULL;
        }
        const char *text = (const char *)r->p;
        r->p += value;
        if (major == 2) {
            return PyBytes_FromStringAndSize(text, (Py_ssize_t)value);
        }
        PyObject *s = PyUnicode_DecodeUTF8(text, (Py_ssize_t)value, "strict");
        if (s == NULL) {
            PyErr_Clear();
            r->defer = 1;
        }
        return s;
    }
    case 4: {
        /* one level of margin under the limit: at the limit itself the Python decoder decides */
        if (depth + 1 >= r->max_depth || value > (uint64_t)remaining) {
            r->defer = 1;
            return NULL;
        }
        PyObject *list = PyList_New((Py_ssize_t)value);
        if (list == NULL) {
            return NULL;
        }
        for (Py_ssize_t i = 0; i < (Py_ssize_t)value; i++) {
            PyObject *element = item(r, depth + 1);
            if (element == NULL) {
                Py_DECREF(list);
                return NULL;
            }
            PyList_SET_ITEM(list, i, element);
        }
        return list;
    }
    case 5: {
        if (depth + 1 >= r->max_depth || value > (uint64_t)remaining / 2) {
            r->defer = 1;
            return NULL;
        }
        PyObject *dict = PyDict_New();
        if (dict == NULL) {
            return NULL;
        }
        for (uint64_t i = 0; i < value; i++) {
            PyObject *key = item(r, depth + 1);
            if (key == NULL) {
                Py_DECREF(dict);
                return NULL;
            }
            /* integers, text and bytes only: other keys (floats, tags, arrays) are cbor2's to judge */
            if (!PyLong_CheckExact(key) && !PyUnicode_CheckExact(key) && !PyBytes_CheckExact(key)) {
                Py_DECREF(key);
                Py_DECREF(dict);
                r->defer = 1;
                return NULL;
            }
            int present = PyDict_Contains(dict, key);
            if (present != 0) { /* a duplicate key (or an error): refused by the Python decoder */
                Py_DECREF(key);
                Py_DECREF(dict);
                if (present > 0) {
                    r->defer = 1;
                }
                return NULL;
            }
            PyObject *element = item(r, depth + 1);
            if (element == NULL || PyDict_SetItem(dict, key, element) < 0) {
                Py_XDECREF(element);
                Py_DECREF(key);
                Py_DECREF(dict);
                return NULL;
            }
            Py_DECREF(key);
            Py_DECREF(element);
        }
        return dict;
    }
    case 6:
        if (depth + 1 >= r->max_depth) {
            r->defer = 1;
            return NULL;
        }
        return tagged(r, value, depth);
    default: /* 7 */
        return simple(r, value, start);
    }
}

static PyObject *strict_decode(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyBytes_CheckExact(args[0]) || !PyFrozenSet_CheckExact(args[1]) || !PyLong_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "decode(data: bytes, allowed_tags: frozenset, max_depth: int)");
        return NULL;
    }
    if (DEFER == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() has not been called");
        return NULL;
    }
    long max_depth = PyLong_AsLong(args[2]);
    if (max_depth == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (max_depth > 64) { /* deeper limits: the Python decoder (this one recurses on the C stack) */
        return Py_NewRef(DEFER);
    }
    Reader r;
    r.p = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    r.end = r.p + PyBytes_GET_SIZE(args[0]);
    r.allowed = args[1];
    r.max_depth = (int)max_depth;
    r.defer = 0;
    PyObject *value = item(&r, 0);
    if (value == NULL) {
        if (r.defer) {
            return Py_NewRef(DEFER);
        }
        return NULL; /* MemoryError and the like */
    }
    if (r.p != r.end) { /* trailing bytes */
        Py_DECREF(value);
        return Py_NewRef(DEFER);
    }
    return value;
}

static PyObject *configure(PyObject *module, PyObject *args) {
    PyObject *defer, *encoded, *tdate, *epoch, *full_date;
    if (!PyArg_ParseTuple(args, "OOOOO", &defer, &encoded, &tdate, &epoch, &full_date)) {
        return NULL;
    }
    Py_XSETREF(DEFER, Py_NewRef(defer));
    Py_XSETREF(make_encoded, Py_NewRef(encoded));
    Py_XSETREF(decode_tdate, Py_NewRef(tdate));
    Py_XSETREF(decode_epoch, Py_NewRef(epoch));
    Py_XSETREF(decode_full_date, Py_NewRef(full_date));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"decode", (PyCFunction)(void (*)(void))strict_decode, METH_FASTCALL,
     "decode(data, allowed_tags, max_depth): the value, or the configured DEFER object"},
    {"configure", configure, METH_VARARGS,
     "configure(defer, make_encoded, tdate, epoch, full_date)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "specs.cbor._strict",
                                    "Strict CBOR decoding, the common case in C (see specs/cbor/codec.py).", -1,
                                    methods};

PyMODINIT_FUNC PyInit__strict(void) { return PyModule_Create(&module); }
