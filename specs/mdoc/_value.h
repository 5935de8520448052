/* The embedded items of a DeviceResponse (IssuerSignedItem, MSO, DeviceNameSpaces) decoded in C: part of
 * specs/mdoc/_fast.c, included by it.
 *
 * value_decode(data, size) returns what specs.cbor.codec.decode(data) returns with the MDOC_TAGS and the default
 * depth limit (the rules of specs/cbor/_strict.c, which it follows case by case), or NULL with ``defer`` set for
 * anything else, which the Python path then decides. The difference with specs.cbor._strict.decode: no Python call
 * per item, and a tdate in its usual form (``YYYY-MM-DDTHH:MM:SSZ``) or a full-date (``YYYY-MM-DD``) with valid
 * fields becomes its datetime (UTC) or date here, as datetime.fromisoformat would make it; every other date goes
 * to the codec's own Python functions, as in _strict.c.
 */
#include <datetime.h>

#define VALUE_MAX_DEPTH 24 /* specs.cbor.codec.DEFAULT_MAX_DEPTH */

static PyObject *make_encoded;     /* bytes -> EncodedCBOR */
static PyObject *decode_tdate;     /* str -> datetime (tag 0), specs.cbor.codec._decode_tdate */
static PyObject *decode_full_date; /* str -> date (tag 1004) */

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
    int defer;
} Reader;

static PyObject *value_item(Reader *r, int depth);

/* The text keys of the MSO and its parts (§9.1.2.4), made once (configure), their hashes cached. */
#define KEYS(X)                                                                                                \
    X(version) X(digestAlgorithm) X(valueDigests) X(docType) X(deviceKeyInfo) X(validityInfo) X(status)         \
        X(deviceKey) X(keyAuthorizations) X(keyInfo) X(signed) X(validFrom) X(validUntil) X(expectedUpdate)
#define DECLARE(name) static PyObject *k_##name;
KEYS(DECLARE)

/* A map key that is one of KEYS, written with the one-byte head: that string (a new reference), read past; NULL
   for anything else, left to value_item. The same text the decoder would make, without decoding and hashing it
   again for each MSO. */
static PyObject *known_key(Reader *r) {
    if (r->p >= r->end || (*r->p >> 5) != 3 || (*r->p & 0x1f) >= 24) {
        return NULL;
    }
    Py_ssize_t n = *r->p & 0x1f;
    const unsigned char *s = r->p + 1;
    if (r->end - s < n) {
        return NULL;
    }
#define KNOWN(name)                                                                                            \
    if (n == (Py_ssize_t)sizeof(#name) - 1 && k_##name != NULL && memcmp(s, #name, (size_t)n) == 0) {          \
        r->p = s + n;                                                                                          \
        return Py_NewRef(k_##name);                                                                            \
    }
    KEYS(KNOWN)
#undef KNOWN
    return NULL;
}

static int value_head(Reader *r, int *major, uint64_t *value) {
    Cur c = {r->p, r->end};
    if (!head(&c, major, value)) {
        r->defer = 1;
        return 0;
    }
    r->p = c.p;
    return 1;
}

static int digits(const unsigned char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* YYYY-MM-DD with a valid day of a year from 1 (datetime.MINYEAR). */
static int ymd(const unsigned char *s, int *y, int *m, int *d) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!digits(s, 4, y) || s[4] != '-' || !digits(s + 5, 2, m) || s[7] != '-' || !digits(s + 8, 2, d) ||
        *y < 1 || *m < 1 || *m > 12 || *d < 1) {
        return 0;
    }
    int leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
    return *d <= days[*m - 1] + (*m == 2 && leap);
}

/* A tdate or full-date in its usual form, or NULL (no exception) for the codec's function to judge. */
static PyObject *usual_date(uint64_t tag, const unsigned char *s, Py_ssize_t n) {
    int y, m, d, hh, mm, ss;
    if (tag == 1004) {
        return n == 10 && ymd(s, &y, &m, &d) ? PyDateTimeAPI->Date_FromDate(y, m, d, PyDateTimeAPI->DateType) : NULL;
    }
    if (n != 20 || !ymd(s, &y, &m, &d) || s[10] != 'T' || !digits(s + 11, 2, &hh) || s[13] != ':' ||
        !digits(s + 14, 2, &mm) || s[16] != ':' || !digits(s + 17, 2, &ss) || s[19] != 'Z' || hh > 23 || mm > 59 ||
        ss > 59) {
        return NULL;
    }
    return PyDateTimeAPI->DateTime_FromDateAndTime(y, m, d, hh, mm, ss, 0, PyDateTime_TimeZone_UTC,
                                                   PyDateTimeAPI->DateTimeType);
}

static PyObject *value_tagged(Reader *r, uint64_t tag, int depth) {
    if (tag != 0 && tag != 24 && tag != 1004) { /* not in MDOC_TAGS, or cbor2's to interpret */
        r->defer = 1;
        return NULL;
    }
    int content_major = r->p < r->end ? *r->p >> 5 : -1;
    if (tag == 24 && content_major != 2) { /* tag 24 wraps a byte string */
        r->defer = 1;
        return NULL;
    }
    if (tag != 24 && content_major == 3) {
        Cur c = {r->p, r->end};
        const unsigned char *s;
        Py_ssize_t n;
        if (string(&c, 3, &s, &n)) {
            PyObject *date = usual_date(tag, s, n);
            if (date != NULL) {
                r->p = c.p;
                return date;
            }
            if (PyErr_Occurred()) {
                return NULL;
            }
        }
    }
    PyObject *content = value_item(r, depth + 1);
    if (content == NULL) {
        return NULL;
    }
    PyObject *result = NULL;
    if (tag == 24 || PyUnicode_CheckExact(content)) {
        result = PyObject_CallOneArg(tag == 24 ? make_encoded : tag == 0 ? decode_tdate : decode_full_date, content);
        if (result == NULL) { /* the Python decoder raises the same, with its own words */
            PyErr_Clear();
            r->defer = 1;
        }
    } else {
        r->defer = 1;
    }
    Py_DECREF(content);
    return result;
}

static PyObject *value_simple(Reader *r, const unsigned char *start) {
    int info = start[0] & 0x1f;
    switch (info) {
    case 20:
        Py_RETURN_FALSE;
    case 21:
        Py_RETURN_TRUE;
    case 22:
        Py_RETURN_NONE;
    case 25:
        return PyFloat_FromDouble(PyFloat_Unpack2((const char *)start + 1, 0));
    case 26:
        return PyFloat_FromDouble(PyFloat_Unpack4((const char *)start + 1, 0));
    case 27:
        return PyFloat_FromDouble(PyFloat_Unpack8((const char *)start + 1, 0));
    default: /* undefined, other simple values */
        r->defer = 1;
        return NULL;
    }
}

static PyObject *value_negative(uint64_t n) {
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

static PyObject *value_item(Reader *r, int depth) {
    const unsigned char *start = r->p;
    int major;
    uint64_t value;
    if (!value_head(r, &major, &value)) {
        return NULL;
    }
    Py_ssize_t remaining = r->end - r->p;
    switch (major) {
    case 0:
        return PyLong_FromUnsignedLongLong(value);
    case 1:
        return value_negative(value);
    case 2:
    case 3: {
        if (value > (uint64_t)remaining) {
            r->defer = 1;
            return NULL;
        }
        const char *s = (const char *)r->p;
        r->p += value;
        if (major == 2) {
            return PyBytes_FromStringAndSize(s, (Py_ssize_t)value);
        }
        PyObject *text = PyUnicode_DecodeUTF8(s, (Py_ssize_t)value, "strict");
        if (text == NULL) {
            PyErr_Clear();
            r->defer = 1;
        }
        return text;
    }
    case 4: {
        /* one level of margin under the limit: at the limit itself the Python decoder decides */
        if (depth + 1 >= VALUE_MAX_DEPTH || value > (uint64_t)remaining) {
            r->defer = 1;
            return NULL;
        }
        PyObject *list = PyList_New((Py_ssize_t)value);
        for (Py_ssize_t i = 0; list != NULL && i < (Py_ssize_t)value; i++) {
            PyObject *element = value_item(r, depth + 1);
            if (element == NULL) {
                Py_CLEAR(list);
                break;
            }
            PyList_SET_ITEM(list, i, element);
        }
        return list;
    }
    case 5: {
        if (depth + 1 >= VALUE_MAX_DEPTH || value > (uint64_t)remaining / 2) {
            r->defer = 1;
            return NULL;
        }
        PyObject *dict = PyDict_New();
        for (uint64_t i = 0; dict != NULL && i < value; i++) {
            PyObject *key = known_key(r), *element = NULL;
            if (key == NULL) {
                key = value_item(r, depth + 1);
            }
            /* integers, text and bytes only: other keys (floats, tags, arrays) are cbor2's to judge; a duplicate
               key is refused by the Python decoder */
            int ok = key != NULL &&
                     (PyLong_CheckExact(key) || PyUnicode_CheckExact(key) || PyBytes_CheckExact(key)) &&
                     PyDict_Contains(dict, key) == 0 && (element = value_item(r, depth + 1)) != NULL &&
                     PyDict_SetItem(dict, key, element) == 0;
            if (!ok && key != NULL && !PyErr_Occurred()) {
                r->defer = 1;
            }
            Py_XDECREF(key);
            Py_XDECREF(element);
            if (!ok) {
                Py_CLEAR(dict);
            }
        }
        return dict;
    }
    case 6:
        if (depth + 1 >= VALUE_MAX_DEPTH) {
            r->defer = 1;
            return NULL;
        }
        return value_tagged(r, value, depth);
    default: /* 7 */
        return value_simple(r, start);
    }
}

/* codec.decode(data) with MDOC_TAGS and the default depth, or NULL (defer, or an exception: both mean defer). */
static PyObject *value_decode(const unsigned char *data, Py_ssize_t size) {
    Reader r = {data, data + size, 0};
    PyObject *value = value_item(&r, 0);
    if (value != NULL && r.p != r.end) { /* trailing bytes */
        Py_CLEAR(value);
    }
    return value;
}
