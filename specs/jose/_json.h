/* Included by _b64url.c: plain_json(text), the usual JSON of a JWS header or payload (RFC 8259) read in C, giving
 * exactly what specs.jose.jws's strict scanner (json's C scanner with the _no_duplicates hook and no constants)
 * gives for a value that fills the text: objects (dicts, members in order), arrays, strings without escapes or
 * control characters, integers of up to 18 digits, true, false and null, nested up to 64 deep. Anything else (an
 * escape, a fraction or exponent, NaN, a duplicate member, a syntax error, deeper nesting) returns NULL without an
 * error, and the scanner reads the text (and refuses what it refuses); NULL with an error is a failure (memory). */

#define PLAIN_MAX_DEPTH 64
#define PLAIN_SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r') /* what json's scanner skips */

typedef struct {
    PyObject *text;
    int kind;
    const void *data;
    Py_ssize_t n, i;
    int depth;
} Plain;

static Py_UCS4 plain_at(Plain *p) {
    return p->i < p->n ? PyUnicode_READ(p->kind, p->data, p->i) : 0;
}

static void plain_space(Plain *p) {
    while (p->i < p->n && PLAIN_SPACE(PyUnicode_READ(p->kind, p->data, p->i))) {
        p->i++;
    }
}

static PyObject *plain_value(Plain *p);

/* A string at p->i (its opening quote) without a backslash or a control character (json's strict mode). */
static PyObject *plain_string(Plain *p) {
    Py_ssize_t start = ++p->i;
    Py_UCS4 c = 0;
    while (p->i < p->n && (c = PyUnicode_READ(p->kind, p->data, p->i)) != '"' && c != '\\' && c >= 0x20) {
        p->i++;
    }
    if (p->i >= p->n || c != '"') {
        return NULL;
    }
    return PyUnicode_Substring(p->text, start, p->i++);
}

/* An integer: -?(0|[1-9][0-9]*) of at most 18 digits, not followed by a fraction or an exponent (json then makes a
 * float, left to it). */
static PyObject *plain_number(Plain *p) {
    int negative = plain_at(p) == '-';
    p->i += negative;
    Py_ssize_t start = p->i;
    long long value = 0;
    while (p->i < p->n) {
        Py_UCS4 c = PyUnicode_READ(p->kind, p->data, p->i);
        if (c < '0' || c > '9') {
            break;
        }
        value = value * 10 + (long long)(c - '0');
        p->i++;
        if (p->i - start > 18 || (p->i - start == 2 && value < 10)) { /* too long, or a leading zero: json decides */
            return NULL;
        }
    }
    Py_UCS4 next = plain_at(p);
    if (p->i == start || next == '.' || next == 'e' || next == 'E') {
        return NULL;
    }
    return PyLong_FromLongLong(negative ? -value : value);
}

static PyObject *plain_literal(Plain *p, const char *word, PyObject *value) {
    Py_ssize_t length = (Py_ssize_t)strlen(word);
    if (p->i + length > p->n) {
        return NULL;
    }
    for (Py_ssize_t k = 0; k < length; k++) {
        if (PyUnicode_READ(p->kind, p->data, p->i + k) != (Py_UCS4)(unsigned char)word[k]) {
            return NULL;
        }
    }
    p->i += length;
    return Py_NewRef(value);
}

/* An array or an object at p->i (its opening bracket): elements or members until the closing one. */
static PyObject *plain_container(Plain *p, int object) {
    if (++p->depth > PLAIN_MAX_DEPTH) {
        return NULL;
    }
    PyObject *out = object ? PyDict_New() : PyList_New(0);
    Py_UCS4 close = object ? '}' : ']';
    p->i++;
    plain_space(p);
    if (out != NULL && plain_at(p) == close) {
        p->i++;
        p->depth--;
        return out;
    }
    while (out != NULL) {
        PyObject *key = NULL;
        if (object) {
            if (plain_at(p) != '"' || (key = plain_string(p)) == NULL) {
                break;
            }
            plain_space(p);
            if (plain_at(p) != ':') {
                Py_DECREF(key);
                break;
            }
            p->i++;
            plain_space(p);
        }
        PyObject *value = plain_value(p);
        int failed = value == NULL;
        if (!failed && object) {
            Py_ssize_t before = PyDict_GET_SIZE(out);
            failed = PyDict_SetItem(out, key, value) < 0 || PyDict_GET_SIZE(out) == before; /* a duplicate */
        } else if (!failed) {
            failed = PyList_Append(out, value) < 0;
        }
        Py_XDECREF(key);
        Py_XDECREF(value);
        if (failed) {
            break;
        }
        plain_space(p);
        Py_UCS4 c = plain_at(p);
        if (c == close) {
            p->i++;
            p->depth--;
            return out;
        }
        if (c != ',') {
            break;
        }
        p->i++;
        plain_space(p);
    }
    Py_XDECREF(out);
    return NULL;
}

static PyObject *plain_value(Plain *p) {
    switch (plain_at(p)) {
    case '"':
        return plain_string(p);
    case '{':
        return plain_container(p, 1);
    case '[':
        return plain_container(p, 0);
    case 't':
        return plain_literal(p, "true", Py_True);
    case 'f':
        return plain_literal(p, "false", Py_False);
    case 'n':
        return plain_literal(p, "null", Py_None);
    default:
        return plain_number(p); /* anything else that is not a number: NULL */
    }
}

static PyObject *plain_json(PyObject *text) {
    Plain p = {text, PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), 0, 0};
    PyObject *value = plain_value(&p);
    if (value != NULL && p.i != p.n) { /* the value must fill the text */
        Py_CLEAR(value);
    }
    return value;
}

/* object_of(refuse, pairs): the strict scanner's object_pairs_hook (_no_duplicates) without a Python frame per
 * object, for the JSON plain_json leaves to the scanner (see _b64url.c). */
static PyObject *object_of(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyList_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "object_of(refuse, pairs: list)");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(args[1]);
    PyObject *out = PyDict_New();
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        PyObject *pair = PyList_GET_ITEM(args[1], i);
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2 ||
            PyDict_SetItem(out, PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1)) < 0) {
            Py_CLEAR(out); /* not what the scanner gives: the Python hook decides */
        }
    }
    if (out != NULL && PyDict_GET_SIZE(out) == n) {
        return out;
    }
    Py_XDECREF(out);
    PyErr_Clear(); /* an unhashable name (never from the scanner): refuse() raises what dict() raises */
    return PyObject_CallOneArg(args[0], args[1]);
}
