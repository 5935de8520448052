/* Included by _walk.c, before _vc.h: what verify() needs (see _vc.h): the objects configure() hands over, the
 * result objects built as specs.slots.builder builds them, and the checks of verify_parts, _check_times, _holder_key
 * and check_kb_jwt for the common case, each answering "passes", "defer" or "error". */

static struct {
    PyObject *parse_compact, *scan_once, *decode_text, *decode, *encode, *der_signature, *b64_defer, *hashers;
    PyObject *key_kinds, *curves, *invalid_signature, *jwk_curves, *from_encoded_point, *status_from_value;
    PyObject *sd_type, *sd_slots, *vc_type, *vc_slots, *not_disclosable, *not_shown, *sha256;
} cfg;
#define CFG_COUNT 21

static PyObject *S_ALG, *S_TYP, *S_EXP, *S_NBF, *S_IAT, *S_CNF, *S_JWK, *S_KTY, *S_CRV, *S_X, *S_Y, *S_EC, *S_CURVE,
    *S_NAME, *S_VERIFY, *S_KB_JWT, *S_VC_TYPE, *S_VCT, *S_ISS, *S_STATUS, *S_NONCE, *S_AUD, *S_SD_HASH, *S_SHA256,
    *S_EC_KIND, *NO_ARGS, *ZERO;

static int vc_init(void) {
    static const char *names[] = {"alg", "typ", "exp", "nbf", "iat", "cnf", "jwk", "kty", "crv", "x", "y", "EC",
                                  "curve", "name", "verify", "kb+jwt", "dc+sd-jwt", "vct", "iss", "status", "nonce",
                                  "aud", "sd_hash", "sha-256", "ec"};
    PyObject **slots[] = {&S_ALG, &S_TYP, &S_EXP, &S_NBF, &S_IAT, &S_CNF, &S_JWK, &S_KTY, &S_CRV, &S_X, &S_Y,
                          &S_EC, &S_CURVE, &S_NAME, &S_VERIFY, &S_KB_JWT, &S_VC_TYPE, &S_VCT, &S_ISS, &S_STATUS,
                          &S_NONCE, &S_AUD, &S_SD_HASH, &S_SHA256, &S_EC_KIND};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if ((*slots[i] = PyUnicode_InternFromString(names[i])) == NULL) {
            return -1;
        }
    }
    NO_ARGS = PyTuple_New(0);
    ZERO = PyLong_FromLong(0);
    return NO_ARGS == NULL || ZERO == NULL ? -1 : 0;
}

static PyObject *configure(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != CFG_COUNT) {
        PyErr_SetString(PyExc_TypeError, "configure takes the objects specs.sdjwt.verify hands over");
        return NULL;
    }
    PyObject **fields = (PyObject **)&cfg;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        Py_XSETREF(fields[i], Py_NewRef(args[i]));
    }
    if (native_hashing(cfg.sha256) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* A result object as specs.slots.builder makes it: object.__new__(cls), then each slot set through its
 * descriptor, in field order. */
static PyObject *build(PyObject *cls, PyObject *slots, PyObject *const *values, Py_ssize_t n) {
    if (!PyType_Check(cls) || !PyTuple_CheckExact(slots) || PyTuple_GET_SIZE(slots) != n) {
        PyErr_SetString(PyExc_TypeError, "configure was given a class without its slots");
        return NULL;
    }
    PyObject *obj = PyBaseObject_Type.tp_new((PyTypeObject *)cls, NO_ARGS, NULL);
    for (Py_ssize_t i = 0; obj != NULL && i < n; i++) {
        PyObject *slot = PyTuple_GET_ITEM(slots, i);
        descrsetfunc set = Py_TYPE(slot)->tp_descr_set;
        if (set == NULL || set(slot, obj, values[i]) < 0) {
            if (set == NULL) {
                PyErr_SetString(PyExc_TypeError, "configure was given a slot that cannot be set");
            }
            Py_CLEAR(obj);
        }
    }
    return obj;
}

/* parse_compact(jwt, scan_once): (header, payload, signing_input, signature), or NULL: *deferred set, or an error. */
static PyObject *parse_jws(PyObject *jwt, int *deferred) {
    if (PyUnicode_GET_LENGTH(jwt) > 256 * 1024) { /* specs.jose.jws.MAX_JWS_SIZE */
        *deferred = 1;
        return NULL;
    }
    PyObject *call[2] = {jwt, cfg.scan_once};
    PyObject *parsed = PyObject_Vectorcall(cfg.parse_compact, call, 2, NULL);
    if (parsed == NULL) {
        *deferred = cleared();
        return NULL;
    }
    if (!PyTuple_CheckExact(parsed) || PyTuple_GET_SIZE(parsed) != 4 || !PyDict_CheckExact(PyTuple_GET_ITEM(parsed, 0))
        || !PyDict_CheckExact(PyTuple_GET_ITEM(parsed, 1)) || !PyBytes_CheckExact(PyTuple_GET_ITEM(parsed, 2))
        || !PyBytes_CheckExact(PyTuple_GET_ITEM(parsed, 3))) {
        Py_DECREF(parsed); /* b64_defer included */
        *deferred = 1;
        return NULL;
    }
    return parsed;
}

/* Whether text member `name` of `obj` is exactly `expected` (text): 1, 0 (absent or anything else), -1 error. */
static int member_is(PyObject *obj, PyObject *name, PyObject *expected) {
    PyObject *value = PyDict_GetItemWithError(obj, name);
    if (value == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    return PyUnicode_CheckExact(value) && PyUnicode_Compare(value, expected) == 0;
}

/* verify_parts(header, signing_input, signature, key) for the usual key, an EC public key whose curve has a C DER
 * form (P-256, P-384): 1 it verifies, 0 verify_parts would raise a CryptoError (the next key is tried), -1 defer,
 * -2 an error to propagate. */
static int verify_with(PyObject *key, PyObject *jws) {
    PyObject *header = PyTuple_GET_ITEM(jws, 0), *data = PyTuple_GET_ITEM(jws, 2);
    PyObject *signature = PyTuple_GET_ITEM(jws, 3);
    PyObject *kind = PyDict_GetItemWithError(cfg.key_kinds, (PyObject *)Py_TYPE(key));
    if (kind == NULL) { /* a key class not seen yet: the Python code classifies it (and remembers) */
        return PyErr_Occurred() ? -2 : -1;
    }
    if (!PyTuple_CheckExact(kind) || PyTuple_GET_SIZE(kind) != 2 || PyTuple_GET_ITEM(kind, 1) != Py_False ||
        !PyUnicode_CheckExact(PyTuple_GET_ITEM(kind, 0)) ||
        PyUnicode_Compare(PyTuple_GET_ITEM(kind, 0), S_EC_KIND) != 0) {
        return -1;
    }
    PyObject *curve = PyObject_GetAttr(key, S_CURVE);
    PyObject *name = curve == NULL ? NULL : PyObject_GetAttr(curve, S_NAME);
    Py_XDECREF(curve);
    if (name == NULL) {
        return cleared() ? -1 : -2;
    }
    PyObject *alg = PyDict_GetItemWithError(cfg.curves, name); /* (jose, signature length, ECDSA) */
    Py_DECREF(name);
    if (alg == NULL) {
        return PyErr_Occurred() ? -2 : -1;
    }
    int named = member_is(header, S_ALG, PyTuple_GET_ITEM(alg, 0));
    if (named <= 0) {
        return named < 0 ? -2 : 0; /* alg names another algorithm: UnsupportedAlgorithmError */
    }
    if (PyBytes_GET_SIZE(signature) != PyLong_AsSsize_t(PyTuple_GET_ITEM(alg, 1))) {
        return PyErr_Occurred() ? -2 : 0; /* the wrong length: SignatureError */
    }
    PyObject *der = PyObject_CallOneArg(cfg.der_signature, signature);
    if (der == NULL || !PyBytes_CheckExact(der)) {
        Py_XDECREF(der);
        return der == NULL && !cleared() ? -2 : -1;
    }
    PyObject *call[4] = {key, der, data, PyTuple_GET_ITEM(alg, 2)};
    PyObject *done = PyObject_VectorcallMethod(S_VERIFY, call, 4, NULL);
    Py_DECREF(der);
    if (done != NULL) {
        Py_DECREF(done);
        return 1;
    }
    if (PyErr_ExceptionMatches(cfg.invalid_signature)) { /* SignatureError */
        PyErr_Clear();
        return 0;
    }
    return cleared() ? -1 : -2;
}

/* `claim` (an int) compared with value + shift (a float sum, as Python adds them): 1 when `claim op sum`... as
 * PyObject_RichCompareBool; -1 with an exception (an int too large for a float). */
static int compare_sum(PyObject *left, int op, PyObject *value, double shift) {
    PyObject *by = PyFloat_FromDouble(shift);
    PyObject *sum = by == NULL ? NULL : PyNumber_Add(value, by);
    Py_XDECREF(by);
    if (sum == NULL) {
        return -1;
    }
    int result = PyObject_RichCompareBool(left, sum, op);
    Py_DECREF(sum);
    return result;
}

/* _check_times: 0 every time claim present is a NumericDate and the time is inside them, 1 defer, -1 error. */
static int times_wrong(PyObject *claims, PyObject *stamp, double slack) {
    PyObject *names[3] = {S_EXP, S_NBF, S_IAT};
    for (int i = 0; i < 3; i++) {
        PyObject *value = PyDict_GetItemWithError(claims, names[i]);
        if (value == NULL) {
            if (PyErr_Occurred()) {
                return -1;
            }
            continue;
        }
        if (!PyLong_CheckExact(value)) { /* null included: the Python code decides */
            return 1;
        }
        int wrong = PyObject_RichCompareBool(value, ZERO, Py_LT);
        if (wrong == 0) { /* exp: stamp >= exp + slack; nbf, iat: stamp < value - slack */
            wrong = i == 0 ? compare_sum(stamp, Py_GE, value, slack) : compare_sum(stamp, Py_LT, value, -slack);
        }
        if (wrong != 0) {
            return wrong > 0 || cleared() ? 1 : -1;
        }
    }
    return 0;
}

/* _holder_key's common case: the key of cnf.jwk (an EC JWK of a curve key_from_jwk takes) as a new reference,
 * Py_None when there is no cnf, or NULL: *deferred set, or an error. */
static PyObject *holder_key(PyObject *claims, int *deferred) {
    PyObject *cnf = PyDict_GetItemWithError(claims, S_CNF);
    if (cnf == NULL || cnf == Py_None) { /* cnf absent or null: claims.get("cnf") is None */
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    }
    PyObject *jwk = PyDict_CheckExact(cnf) ? PyDict_GetItemWithError(cnf, S_JWK) : NULL;
    PyObject *crv = jwk != NULL && PyDict_CheckExact(jwk) ? PyDict_GetItemWithError(jwk, S_CRV) : NULL;
    PyObject *curve = crv != NULL && PyUnicode_CheckExact(crv) ? PyDict_GetItemWithError(cfg.jwk_curves, crv) : NULL;
    int kty = curve != NULL ? member_is(jwk, S_KTY, S_EC) : 0;
    if (kty <= 0) {
        *deferred = !PyErr_Occurred();
        return NULL;
    }
    Py_ssize_t size = PyLong_AsSsize_t(PyTuple_GET_ITEM(curve, 1));
    PyObject *point = PyBytes_FromStringAndSize(NULL, 1 + 2 * size);
    if (point == NULL) {
        return NULL;
    }
    char *out = PyBytes_AS_STRING(point);
    out[0] = 4; /* the uncompressed point, 0x04 || x || y (SEC 1 §2.3.3) */
    PyObject *coordinates[2] = {S_X, S_Y};
    for (int i = 0; i < 2; i++) {
        PyObject *text = PyDict_GetItemWithError(jwk, coordinates[i]);
        PyObject *raw = text == NULL ? NULL : PyObject_CallOneArg(cfg.decode, text);
        if (raw == NULL || !PyBytes_CheckExact(raw) || PyBytes_GET_SIZE(raw) != size) {
            *deferred = raw != NULL || (!PyErr_Occurred() || cleared()); /* absent, refused, the wrong length */
            Py_XDECREF(raw);
            Py_DECREF(point);
            return NULL;
        }
        memcpy(out + 1 + i * size, PyBytes_AS_STRING(raw), (size_t)size);
        Py_DECREF(raw);
    }
    PyObject *call[2] = {PyTuple_GET_ITEM(curve, 0), point};
    PyObject *key = PyObject_Vectorcall(cfg.from_encoded_point, call, 2, NULL);
    Py_DECREF(point);
    if (key == NULL) { /* not on the curve: the Python code says so */
        *deferred = cleared();
    }
    return key;
}

/* check_kb_jwt's common case: 0 the KB-JWT passes every check, 1 defer, -1 an error. */
static int kb_wrong(PyObject *kb_jwt, PyObject *presented, PyObject *key, PyObject *hasher, double stamp,
                    double slack, double max_age, PyObject *aud, PyObject *nonce) {
    int deferred = 0;
    PyObject *kb = parse_jws(kb_jwt, &deferred);
    if (kb == NULL) {
        return deferred ? 1 : -1;
    }
    PyObject *header = PyTuple_GET_ITEM(kb, 0), *claims = PyTuple_GET_ITEM(kb, 1), *hash = NULL;
    int wrong = 1, ok = member_is(header, S_TYP, S_KB_JWT);
    if (ok <= 0 || (ok = verify_with(key, kb)) != 1) {
        wrong = PyErr_Occurred() ? -1 : 1; /* verify_with's -2 leaves its error set, -1 and 0 none */
        goto done;
    }
    PyObject *iat = PyDict_GetItemWithError(claims, S_IAT);
    if (iat == NULL || !PyLong_CheckExact(iat)) {
        wrong = PyErr_Occurred() ? -1 : 1;
        goto done;
    }
    /* iat > stamp + slack or iat < stamp - slack - max_age, as Python computes and compares them */
    int outside = compare_sum(iat, Py_GT, ZERO, stamp + slack);
    if (outside == 0) {
        outside = compare_sum(iat, Py_LT, ZERO, stamp - slack - max_age);
    }
    if (outside != 0) {
        wrong = outside > 0 || cleared() ? 1 : -1;
        goto done;
    }
    PyObject *expected[2] = {nonce, aud}, *names[2] = {S_NONCE, S_AUD};
    for (int i = 0; i < 2; i++) {
        if (expected[i] != Py_None &&
            (!PyUnicode_CheckExact(expected[i]) || (ok = member_is(claims, names[i], expected[i])) != 1)) {
            wrong = PyErr_Occurred() ? -1 : 1;
            goto done;
        }
    }
    hash = digest_of(presented, hasher, cfg.encode);
    if (hash == NULL) {
        wrong = cleared() ? 1 : -1;
        goto done;
    }
    ok = PyUnicode_CheckExact(hash) ? member_is(claims, S_SD_HASH, hash) : 0;
    wrong = ok < 0 ? -1 : ok == 0;
done:
    Py_XDECREF(hash);
    Py_DECREF(kb);
    return wrong;
}
