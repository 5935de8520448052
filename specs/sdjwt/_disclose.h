/* Included by _walk.c: disclose() and present(), the presented disclosures parsed (RFC 9901 §4.2, §7.1 steps 1-3)
 * as split_sd_jwt and Disclosure.parse would, or DEFER. */

#define JSON_SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r') /* what json's scanner skips */

/* The usual disclosure, a JSON array of strings without escapes or control characters ("[salt, name, value]" with
 * a text value), read here without the JSON scanner: the list scan_once(text, 0) would give when it fills the text
 * (same strings). NULL without an error for any other text (the scanner reads it), NULL with one on a failure. */
static PyObject *text_array(PyObject *text) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 1;
    if (n < 2 || PyUnicode_READ(kind, data, 0) != '[') {
        return NULL;
    }
    PyObject *array = PyList_New(0);
    while (array != NULL) {
        while (i < n && JSON_SPACE(PyUnicode_READ(kind, data, i))) {
            i++;
        }
        if (i >= n || PyUnicode_READ(kind, data, i) != '"') {
            break;
        }
        Py_ssize_t start = ++i;
        Py_UCS4 c = 0;
        while (i < n && (c = PyUnicode_READ(kind, data, i)) != '"' && c != '\\' && c >= 0x20) {
            i++;
        }
        if (i >= n || c != '"') {
            break;
        }
        PyObject *item = PyUnicode_Substring(text, start, i++);
        if (item == NULL || PyList_Append(array, item) < 0) {
            Py_XDECREF(item);
            Py_CLEAR(array);
            return NULL;
        }
        Py_DECREF(item);
        while (i < n && JSON_SPACE(PyUnicode_READ(kind, data, i))) {
            i++;
        }
        if (i < n && PyUnicode_READ(kind, data, i) == ',') {
            i++;
            continue;
        }
        if (i == n - 1 && PyUnicode_READ(kind, data, i) == ']') {
            return array;
        }
        break;
    }
    Py_XDECREF(array);
    return NULL;
}

/* disclose's work on a list of parts (a new list), DEFER or NULL with an exception set. */
static PyObject *disclose_parts(PyObject *parts, PyObject *decode_text, PyObject *scan_once, PyObject *b64_defer) {
    Py_ssize_t n = PyList_GET_SIZE(parts);
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        return NULL;
    }
    PyObject *zero = PyLong_FromLong(0);
    if (zero == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *part = PyList_GET_ITEM(parts, i);
        if (!PyUnicode_CheckExact(part)) {
            goto defer_out;
        }
        PyObject *text = PyObject_CallOneArg(decode_text, part);
        if (text == NULL) {
            if (cleared()) {
                goto defer_out;
            }
            goto error;
        }
        if (text == b64_defer || !PyUnicode_CheckExact(text)) {
            Py_DECREF(text);
            goto defer_out;
        }
        PyObject *array = text_array(text);
        Py_ssize_t length = PyUnicode_GET_LENGTH(text), end_at = length;
        if (array == NULL && !PyErr_Occurred()) { /* not an array of plain strings: the JSON scanner reads it */
            PyObject *call[2] = {text, zero};
            PyObject *scanned = PyObject_Vectorcall(scan_once, call, 2, NULL);
            if (scanned != NULL && PyTuple_CheckExact(scanned) && PyTuple_GET_SIZE(scanned) == 2) {
                array = Py_NewRef(PyTuple_GET_ITEM(scanned, 0));
                PyObject *end = PyTuple_GET_ITEM(scanned, 1);
                end_at = PyLong_CheckExact(end) ? PyLong_AsSsize_t(end) : -1;
                if (end_at == -1 && PyErr_Occurred()) {
                    PyErr_Clear();
                }
            } else if (scanned != NULL) {
                end_at = -1;
            }
            Py_XDECREF(scanned);
        }
        Py_DECREF(text);
        if (array == NULL) {
            if (cleared()) { /* StopIteration, ValueError, RecursionError, a duplicate member: Python says */
                goto defer_out;
            }
            goto error;
        }
        Py_ssize_t size = PyList_CheckExact(array) ? PyList_GET_SIZE(array) : 0;
        if (end_at != length || (size != 2 && size != 3) || !PyUnicode_CheckExact(PyList_GET_ITEM(array, 0))) {
            Py_DECREF(array);
            goto defer_out;
        }
        PyObject *name = Py_None, *value = PyList_GET_ITEM(array, size - 1);
        if (size == 3) {
            name = PyList_GET_ITEM(array, 1);
            if (!PyUnicode_CheckExact(name) || reserved(name)) {
                Py_DECREF(array);
                goto defer_out;
            }
        }
        PyObject *entry = PyTuple_Pack(3, name, value, part);
        Py_DECREF(array);
        if (entry == NULL) {
            goto error;
        }
        PyList_SET_ITEM(out, i, entry);
    }
    Py_DECREF(zero);
    return out;
defer_out:
    Py_DECREF(zero);
    Py_DECREF(out);
    return defer();
error:
    Py_DECREF(zero);
    Py_DECREF(out);
    return NULL;
}

static PyObject *disclose(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4 || !PyList_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError, "disclose(parts: list, decode_text, scan_once, b64_defer)");
        return NULL;
    }
    return disclose_parts(args[0], args[1], args[2], args[3]);
}

#define MAX_SD_JWT_SIZE (256 * 1024) /* specs.sdjwt.sd_jwt.MAX_SD_JWT_SIZE */
#define MAX_DISCLOSURES 1024         /* specs.sdjwt.sd_jwt.MAX_DISCLOSURES */

/* present(text, decode_text, scan_once, b64_defer): split_sd_jwt's common case and disclose in one call, for
 * text that is ASCII with nothing for str.strip to remove: (issuer_jwt, kb_jwt or None, presented, disclosed),
 * presented being <JWT>~<D1>~...~<DN>~ as it arrived (what sd_hash covers). DEFER for anything else, every
 * refusal of split_sd_jwt (size, fewer than one '~', too many disclosures, an empty component) included. */
static PyObject *present_text(PyObject *text, PyObject *decode_text, PyObject *scan_once, PyObject *b64_defer) {
    if (!PyUnicode_CheckExact(text) || !PyUnicode_IS_ASCII(text)) {
        return defer();
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    const char *data = (const char *)PyUnicode_1BYTE_DATA(text);
    if (length < 2 || length > MAX_SD_JWT_SIZE || Py_UNICODE_ISSPACE((Py_UCS4)(unsigned char)data[0]) ||
        Py_UNICODE_ISSPACE((Py_UCS4)(unsigned char)data[length - 1])) {
        return defer();
    }
    const char *first = memchr(data, '~', (size_t)length);
    if (first == NULL || first == data) { /* no '~', or an empty issuer JWT */
        return defer();
    }
    Py_ssize_t last = length - 1;
    while (data[last] != '~') {
        last--;
    }
    Py_ssize_t start = first - data + 1, count = 0;
    for (Py_ssize_t i = start; i <= last; i++) { /* each '~' after the first closes one disclosure */
        if (data[i] == '~') {
            if (i == start || ++count > MAX_DISCLOSURES) { /* an empty disclosure, or too many */
                return defer();
            }
            start = i + 1;
        }
    }
    PyObject *parts = PyList_New(count);
    if (parts == NULL) {
        return NULL;
    }
    start = first - data + 1;
    for (Py_ssize_t i = start, k = 0; i <= last; i++) {
        if (data[i] == '~') {
            PyObject *part = PyUnicode_FromStringAndSize(data + start, i - start);
            if (part == NULL) {
                Py_DECREF(parts);
                return NULL;
            }
            PyList_SET_ITEM(parts, k++, part);
            start = i + 1;
        }
    }
    PyObject *disclosed = disclose_parts(parts, decode_text, scan_once, b64_defer);
    Py_DECREF(parts);
    if (disclosed == NULL || disclosed == DEFER) {
        return disclosed;
    }
    PyObject *issuer_jwt = PyUnicode_FromStringAndSize(data, first - data);
    PyObject *presented = PyUnicode_FromStringAndSize(data, last + 1);
    PyObject *kb_jwt = last + 1 == length ? Py_NewRef(Py_None)
                                          : PyUnicode_FromStringAndSize(data + last + 1, length - last - 1);
    PyObject *result = NULL;
    if (issuer_jwt != NULL && presented != NULL && kb_jwt != NULL) {
        result = PyTuple_Pack(4, issuer_jwt, kb_jwt, presented, disclosed);
    }
    Py_XDECREF(issuer_jwt);
    Py_XDECREF(presented);
    Py_XDECREF(kb_jwt);
    Py_DECREF(disclosed);
    return result;
}

static PyObject *present(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "present(text, decode_text, scan_once, b64_defer)");
        return NULL;
    }
    return present_text(args[0], args[1], args[2], args[3]);
}
