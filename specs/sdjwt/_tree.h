/* Included by _walk.c: walk(), the claims rebuilt from the payload and the disclosures (RFC 9901 §7.1 steps 3-5) as
 * specs.sdjwt.processing's _Walker does, or DEFER. */

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

static PyObject *native_sha256; /* hashlib.sha256 (configure): the hasher hashed here without a Python call */

#ifdef MOBILEID_OPENSSL
#include <openssl/evp.h>
static EVP_MD_CTX *digest_context; /* reused: the GIL is held throughout */
static EVP_MD *digest_sha256;      /* fetched once (an implicit fetch per digest costs as much as the digest) */

/* base64url without padding (RFC 7515 §2) of n bytes, as ASCII text: what b64url_encode returns. */
static PyObject *b64url_text(const unsigned char *data, Py_ssize_t n) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    PyObject *text = PyUnicode_New(n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0), 127);
    if (text == NULL) {
        return NULL;
    }
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned long v = (unsigned long)data[i] << 16 | (unsigned long)data[i + 1] << 8 | data[i + 2];
        *out++ = alphabet[v >> 18];
        *out++ = alphabet[(v >> 12) & 63];
        *out++ = alphabet[(v >> 6) & 63];
        *out++ = alphabet[v & 63];
    }
    if (i < n) { /* one or two bytes left: two or three characters */
        unsigned long v = (unsigned long)data[i] << 16 | (i + 1 < n ? (unsigned long)data[i + 1] << 8 : 0);
        *out++ = alphabet[v >> 18];
        *out++ = alphabet[(v >> 12) & 63];
        if (i + 1 < n) {
            *out++ = alphabet[(v >> 6) & 63];
        }
    }
    return text;
}
#endif

/* The base64url digest of a part: encode(hasher(part's ASCII).digest()); for hashlib.sha256, SHA-256 by OpenSSL's
 * libcrypto here when it was there at build time (the same digest, without three Python calls). */
static PyObject *digest_of(PyObject *part, PyObject *hasher, PyObject *encode) {
#ifdef MOBILEID_OPENSSL
    if (hasher == native_sha256 && digest_context != NULL && PyUnicode_IS_ASCII(part)) {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        if (EVP_DigestInit_ex2(digest_context, digest_sha256, NULL) == 1 &&
            EVP_DigestUpdate(digest_context, PyUnicode_1BYTE_DATA(part), (size_t)PyUnicode_GET_LENGTH(part)) == 1 &&
            EVP_DigestFinal_ex(digest_context, digest, &size) == 1 && size == 32) {
            return b64url_text(digest, 32);
        }
    }
#endif
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

/* Sets the hasher digest_of hashes itself (hashlib.sha256), once OpenSSL has SHA-256 for it; -1 with an error. */
static int native_hashing(PyObject *sha256) {
#ifdef MOBILEID_OPENSSL
    if (digest_context == NULL && (digest_context = EVP_MD_CTX_new()) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (digest_sha256 == NULL && (digest_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure(): OpenSSL has no SHA-256");
        return -1;
    }
#endif
    Py_XSETREF(native_sha256, Py_NewRef(sha256));
    return 0;
}

/* walk's work on what disclose returned (a list): (claims, paths), DEFER or NULL with an exception set. */
static PyObject *walk_disclosed(PyObject *disclosed, PyObject *payload, PyObject *hasher, PyObject *encode) {
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

static PyObject *walk(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4 || !PyList_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError, "walk(disclosed: list, payload, hasher, encode)");
        return NULL;
    }
    return walk_disclosed(args[0], args[1], args[2], args[3]);
}
