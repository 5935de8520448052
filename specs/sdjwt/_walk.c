/* The common case of SD-JWT disclosure processing (RFC 9901 §7.1 steps 3-5) in C, for specs.sdjwt.verify.
 *
 * disclose(parts, decode_text, scan_once, b64_defer) parses the presented disclosures (§4.2) as
 * Disclosure.parse would: each part base64url-decoded to text by decode_text (specs/jose/_b64url.c), that
 * text scanned by scan_once (the strict JSON scanner of specs.jose.jws) and found to be a JSON array
 * [salt, name, value] or [salt, value] with text salt and name, the name not reserved (_sd, ...). It returns
 * a list of (name or None, value, part) tuples.
 *
 * present(text, decode_text, scan_once, b64_defer) splits a presentation as split_sd_jwt would (for ASCII text
 * with nothing to strip) and disclose()s its disclosures: (issuer_jwt, kb_jwt or None, presented, disclosed).
 *
 * walk(disclosed, payload, hasher, encode) indexes those disclosures by digest (hasher over the ASCII of each
 * part, base64url-encoded by encode) and rebuilds the claims from the payload as specs.sdjwt.processing's
 * _Walker does: a new dict for each object with its _sd digests replaced by the disclosed members (after its
 * own members, in _sd order), a new list for each array with its {"...": digest} elements replaced by the
 * disclosed elements or removed, _sd_alg removed from the top. It returns (claims, paths): paths holds where
 * each disclosure landed, in the order the walk found them (the order of _Walker.paths).
 *
 * All three return DEFER for anything else (present: any refusal of split_sd_jwt too): a part that is not base64url JSON of that form, an exception from
 * any callable, the same digest presented or referenced twice, a disclosure referenced from the wrong kind
 * of container or overwriting a member, a malformed _sd or "..." element, a disclosure nobody references,
 * a non-text member name, nesting that reaches processing.MAX_DEPTH. The caller then runs the Python
 * functions, which decide and say what is wrong: this module never refuses and never accepts anything they
 * would refuse. Nothing here raises, except MemoryError-like failures of the interpreter itself.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define MAX_DEPTH 32 /* specs.sdjwt.processing.MAX_DEPTH */

static PyObject *DEFER;
static PyObject *S_SD, *S_DOTS, *S_SD_ALG, *S_DIGEST; /* "_sd", "...", "_sd_alg", "digest" */

/* Set by the walk when it must defer; a NULL return without it means an error to propagate. */
typedef struct {
    PyObject *by_digest; /* digest -> (name, value, part) */
    PyObject *seen;      /* every digest referenced so far (a set) */
    PyObject *paths;     /* list of path tuples, in the order found */
    int defer;
    /* The path of the value being walked: a member name (key != NULL) or an array index per level. */
    struct {
        PyObject *key;
        Py_ssize_t index;
    } path[MAX_DEPTH + 2];
} Walk;

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
        PyObject *call[2] = {text, zero};
        PyObject *scanned = PyObject_Vectorcall(scan_once, call, 2, NULL);
        Py_ssize_t length = PyUnicode_GET_LENGTH(text);
        Py_DECREF(text);
        if (scanned == NULL) {
            if (cleared()) { /* StopIteration, ValueError, RecursionError, a duplicate member: Python says */
                goto defer_out;
            }
            goto error;
        }
        if (!PyTuple_CheckExact(scanned) || PyTuple_GET_SIZE(scanned) != 2) {
            Py_DECREF(scanned);
            goto defer_out;
        }
        PyObject *array = PyTuple_GET_ITEM(scanned, 0), *end = PyTuple_GET_ITEM(scanned, 1);
        Py_ssize_t end_at = PyLong_CheckExact(end) ? PyLong_AsSsize_t(end) : -1;
        if (end_at == -1 && PyErr_Occurred()) {
            PyErr_Clear();
        }
        Py_ssize_t size = PyList_CheckExact(array) ? PyList_GET_SIZE(array) : 0;
        if (end_at != length || (size != 2 && size != 3) || !PyUnicode_CheckExact(PyList_GET_ITEM(array, 0))) {
            Py_DECREF(scanned);
            goto defer_out;
        }
        PyObject *name = Py_None, *value = PyList_GET_ITEM(array, size - 1);
        if (size == 3) {
            name = PyList_GET_ITEM(array, 1);
            if (!PyUnicode_CheckExact(name) || reserved(name)) {
                Py_DECREF(scanned);
                goto defer_out;
            }
        }
        PyObject *entry = PyTuple_Pack(3, name, value, part);
        Py_DECREF(scanned);
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
static PyObject *present(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "present(text, decode_text, scan_once, b64_defer)");
        return NULL;
    }
    PyObject *text = args[0];
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
    PyObject *disclosed = disclose_parts(parts, args[1], args[2], args[3]);
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

/* The path of the current value plus its last step, as a tuple (only built where a disclosure lands). */
static PyObject *path_tuple(Walk *w, int depth) {
    PyObject *path = PyTuple_New(depth);
    if (path == NULL) {
        return NULL;
    }
    for (int i = 0; i < depth; i++) {
        PyObject *step = w->path[i].key;
        if (step != NULL) {
            Py_INCREF(step);
        } else if ((step = PyLong_FromSsize_t(w->path[i].index)) == NULL) {
            Py_DECREF(path);
            return NULL;
        }
        PyTuple_SET_ITEM(path, i, step);
    }
    return path;
}

/* A digest from _sd or "...": its disclosure (borrowed), or Py_None when none is presented (a decoy or an
 * undisclosed claim), or NULL with w->defer set (not text, referenced before) or an error. */
static PyObject *claim_digest(Walk *w, PyObject *digest) {
    if (!PyUnicode_CheckExact(digest)) {
        w->defer = 1;
        return NULL;
    }
    int known = PySet_Contains(w->seen, digest);
    if (known != 0) {
        w->defer = known > 0;
        return NULL;
    }
    if (PySet_Add(w->seen, digest) < 0) {
        return NULL;
    }
    PyObject *disclosure = PyDict_GetItemWithError(w->by_digest, digest);
    if (disclosure == NULL) {
        return PyErr_Occurred() ? NULL : Py_None;
    }
    return disclosure;
}

/* Records where a disclosure landed: the current path (depth steps, the last one already set). */
static int landed(Walk *w, int depth) {
    PyObject *path = path_tuple(w, depth);
    if (path == NULL) {
        return -1;
    }
    int failed = PyList_Append(w->paths, path);
    Py_DECREF(path);
    return failed;
}

static PyObject *walk_value(Walk *w, PyObject *value, int depth);

/* _Walker.obj at depth (< MAX_DEPTH): the object's own members first, then its disclosed ones. */
static PyObject *walk_obj(Walk *w, PyObject *obj, int depth) {
    if (depth >= MAX_DEPTH) { /* what Python does at the limit depends on the members; let it decide */
        w->defer = 1;
        return NULL;
    }
    PyObject *out = PyDict_New();
    if (out == NULL) {
        return NULL;
    }
    PyObject *key, *member, *digests = NULL;
    Py_ssize_t pos = 0;
    while (PyDict_Next(obj, &pos, &key, &member)) {
        if (!PyUnicode_CheckExact(key)) {
            w->defer = 1;
            goto fail;
        }
        if (PyUnicode_Compare(key, S_SD) == 0) {
            digests = member;
            continue;
        }
        PyObject *kept;
        if (PyDict_Check(member) || PyList_Check(member)) {
            w->path[depth].key = key;
            kept = walk_value(w, member, depth + 1);
            if (kept == NULL) {
                goto fail;
            }
        } else {
            Py_INCREF(member);
            kept = member;
        }
        int failed = PyDict_SetItem(out, key, kept);
        Py_DECREF(kept);
        if (failed < 0) {
            goto fail;
        }
    }
    if (digests == NULL) {
        return out;
    }
    if (!PyList_CheckExact(digests)) {
        w->defer = 1;
        goto fail;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(digests); i++) {
        PyObject *disclosure = claim_digest(w, PyList_GET_ITEM(digests, i));
        if (disclosure == NULL) {
            goto fail;
        }
        if (disclosure == Py_None) {
            continue;
        }
        PyObject *name = PyTuple_GET_ITEM(disclosure, 0), *claim = PyTuple_GET_ITEM(disclosure, 1);
        int exists = name == Py_None ? 1 : PyDict_Contains(out, name);
        if (exists != 0) { /* an array element referenced from an object, or an overwrite */
            w->defer = exists > 0;
            goto fail;
        }
        w->path[depth].key = name;
        if (landed(w, depth + 1) < 0) {
            goto fail;
        }
        PyObject *kept;
        if (PyDict_Check(claim) || PyList_Check(claim)) {
            kept = walk_value(w, claim, depth + 1);
            if (kept == NULL) {
                goto fail;
            }
        } else {
            Py_INCREF(claim);
            kept = claim;
        }
        int failed = PyDict_SetItem(out, name, kept);
        Py_DECREF(kept);
        if (failed < 0) {
            goto fail;
        }
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* _Walker.array at depth: "..." elements replaced by their disclosed element or removed. */
static PyObject *walk_array(Walk *w, PyObject *array, int depth) {
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(array); i++) {
        PyObject *element = PyList_GET_ITEM(array, i);
        PyObject *kept;
        w->path[depth].key = NULL;
        w->path[depth].index = PyList_GET_SIZE(out);
        PyObject *digest = NULL;
        if (PyDict_Check(element)) {
            digest = PyDict_GetItemWithError(element, S_DOTS);
            if (digest == NULL && PyErr_Occurred()) {
                goto fail;
            }
        }
        if (digest != NULL) {
            if (PyDict_GET_SIZE(element) != 1) {
                w->defer = 1;
                goto fail;
            }
            Py_INCREF(element); /* keeps digest alive whatever the walk does */
            PyObject *disclosure = claim_digest(w, digest);
            Py_DECREF(element);
            if (disclosure == NULL) {
                goto fail;
            }
            if (disclosure == Py_None) {
                continue; /* a decoy or an element not disclosed: removed (§7.1 step 3.3.2) */
            }
            if (PyTuple_GET_ITEM(disclosure, 0) != Py_None) { /* an object disclosure in an array */
                w->defer = 1;
                goto fail;
            }
            if (landed(w, depth + 1) < 0) {
                goto fail;
            }
            kept = walk_value(w, PyTuple_GET_ITEM(disclosure, 1), depth + 1);
        } else {
            kept = walk_value(w, element, depth + 1);
        }
        if (kept == NULL) {
            goto fail;
        }
        int failed = PyList_Append(out, kept);
        Py_DECREF(kept);
        if (failed < 0) {
            goto fail;
        }
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* _Walker.value: the depth limit, then an object, an array or a value kept as it is. */
static PyObject *walk_value(Walk *w, PyObject *value, int depth) {
    if (depth > MAX_DEPTH) {
        w->defer = 1;
        return NULL;
    }
    if (PyDict_Check(value)) {
        return walk_obj(w, value, depth);
    }
    if (PyList_Check(value)) {
        return walk_array(w, value, depth);
    }
    Py_INCREF(value);
    return value;
}

/* The base64url digest of a part: encode(hasher(part's ASCII).digest()). */
static PyObject *digest_of(PyObject *part, PyObject *hasher, PyObject *encode) {
    PyObject *data = PyUnicode_AsASCIIString(part); /* ASCII: decode_text took it */
    if (data == NULL) {
        return NULL;
    }
    PyObject *hash = PyObject_CallOneArg(hasher, data);
    Py_DECREF(data);
    if (hash == NULL) {
        return NULL;
    }
    PyObject *raw = PyObject_CallMethodNoArgs(hash, S_DIGEST);
    Py_DECREF(hash);
    if (raw == NULL) {
        return NULL;
    }
    PyObject *digest = PyObject_CallOneArg(encode, raw);
    Py_DECREF(raw);
    return digest;
}

static PyObject *walk(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4 || !PyList_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError, "walk(disclosed: list, payload, hasher, encode)");
        return NULL;
    }
    PyObject *disclosed = args[0], *payload = args[1], *hasher = args[2], *encode = args[3];
    if (!PyDict_CheckExact(payload)) {
        return defer();
    }
    Walk w;
    w.defer = 0;
    w.by_digest = PyDict_New();
    w.seen = PySet_New(NULL);
    w.paths = PyList_New(0);
    PyObject *claims = NULL, *result = NULL;
    if (w.by_digest == NULL || w.seen == NULL || w.paths == NULL) {
        goto done;
    }
    Py_ssize_t n = PyList_GET_SIZE(disclosed);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *entry = PyList_GET_ITEM(disclosed, i);
        if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 3 ||
            !PyUnicode_CheckExact(PyTuple_GET_ITEM(entry, 2))) {
            PyErr_SetString(PyExc_TypeError, "walk takes what disclose returned");
            goto done;
        }
        PyObject *digest = digest_of(PyTuple_GET_ITEM(entry, 2), hasher, encode);
        if (digest == NULL) {
            w.defer = cleared();
            goto done;
        }
        if (!PyUnicode_CheckExact(digest)) {
            Py_DECREF(digest);
            w.defer = 1;
            goto done;
        }
        int repeated = PyDict_Contains(w.by_digest, digest);
        if (repeated != 0 || PyDict_SetItem(w.by_digest, digest, entry) < 0) {
            w.defer = repeated > 0; /* the same disclosure presented twice */
            Py_DECREF(digest);
            goto done;
        }
        Py_DECREF(digest);
    }
    claims = walk_obj(&w, payload, 0);
    if (claims == NULL) {
        goto done;
    }
    if (PyList_GET_SIZE(w.paths) != n) { /* a disclosure nobody references */
        w.defer = 1;
        goto done;
    }
    if (PyDict_DelItem(claims, S_SD_ALG) < 0) {
        if (!PyErr_ExceptionMatches(PyExc_KeyError)) {
            goto done;
        }
        PyErr_Clear();
    }
    result = PyTuple_Pack(2, claims, w.paths);
done:
    Py_XDECREF(claims);
    Py_XDECREF(w.by_digest);
    Py_XDECREF(w.seen);
    Py_XDECREF(w.paths);
    if (w.defer) {
        PyErr_Clear();
        Py_XDECREF(result);
        return defer();
    }
    return result;
}

static PyMethodDef methods[] = {
    {"disclose", (PyCFunction)(void (*)(void))disclose, METH_FASTCALL,
     "disclosures -> [(name, value, part)], or DEFER"},
    {"present", (PyCFunction)(void (*)(void))present, METH_FASTCALL,
     "presentation text -> (issuer_jwt, kb_jwt or None, presented, disclosed), or DEFER"},
    {"walk", (PyCFunction)(void (*)(void))walk, METH_FASTCALL, "disclosed, payload -> (claims, paths), or DEFER"},
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
    if (S_SD == NULL || S_DOTS == NULL || S_SD_ALG == NULL || S_DIGEST == NULL || DEFER == NULL ||
        PyModule_AddObjectRef(module, "DEFER", DEFER) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
