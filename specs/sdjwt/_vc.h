/* Included by _walk.c, after _checks.h: verify(), the common case of specs.sdjwt.vc.verify_sd_jwt_vc (verify_sd_jwt,
 * RFC 9901 §7.1-§7.3, then verified_vc, draft-ietf-oauth-sd-jwt-vc §3.2) from the presentation text, in one call.
 *
 * configure(...) hands over, once, the Python objects the checks need (see specs.sdjwt.vc._configure): the base64url
 * functions and JSON scanner of specs.jose.jws, the hashers, the key classification of specs.crypto.algorithms
 * (KEY_KINDS, its EC curves and ECDSA objects), cryptography's InvalidSignature and from_encoded_point,
 * StatusReference.from_value and the two result classes with their slot descriptors.
 *
 * verify(text, issuer_keys, stamp, slack, max_age, aud, nonce, require_kb, resolved, vc_only) does what the Python
 * functions do when everything is in order: present() and parse_compact() of the issuer JWT, the resolver
 * (issuer_keys(header, payload) when callable; its result is appended to `resolved`, so that a deferral does not call
 * it again, and whatever it raises propagates as it would from the Python code, which calls it at the same point),
 * verify_parts with each key in turn (an EC public key of P-256 or P-384 whose alg the header names: the raw length,
 * the DER form, key.verify), _sd_alg, walk(), _check_times, _holder_key (an EC JWK of a curve of key_from_jwk),
 * check_kb_jwt (typ, signature, iat window, nonce, aud, sd_hash over the presented text), then the VC checks (typ, vct,
 * the registered claims not disclosed, iss, status) and the result objects, built as specs.slots.builder builds them.
 * vc_only false: a header whose typ is not dc+sd-jwt gives the VerifiedSdJwt.
 *
 * Anything else, every failed check included, returns DEFER: the Python code then does it all again and refuses with
 * its own error. This never refuses anything and never accepts what the Python code would refuse.
 */

/* verified_vc's common case on a verified SD-JWT: the VerifiedSdJwtVc, or NULL: *deferred set, or an error. */
static PyObject *vc_of(PyObject *verified, PyObject *claims, PyObject *paths, int *deferred) {
    PyObject *vct = PyDict_GetItemWithError(claims, S_VCT), *issuer = NULL, *status = NULL, *visible = NULL;
    if (vct == NULL || !PyUnicode_CheckExact(vct) || PyUnicode_GET_LENGTH(vct) == 0) {
        goto defer_out;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(paths); i++) { /* a top-level disclosure of iss, nbf, exp, ... */
        PyObject *path = PyList_GET_ITEM(paths, i);
        if (PyTuple_GET_SIZE(path) == 1 && PySet_Contains(cfg.not_disclosable, PyTuple_GET_ITEM(path, 0)) != 0) {
            goto defer_out;
        }
    }
    issuer = PyDict_GetItemWithError(claims, S_ISS);
    if (issuer == NULL && PyErr_Occurred()) {
        goto defer_out;
    }
    issuer = issuer == NULL ? Py_None : issuer;
    if (issuer != Py_None && !PyUnicode_CheckExact(issuer)) {
        goto defer_out;
    }
    PyObject *reference = PyDict_GetItemWithError(claims, S_STATUS);
    if (reference != NULL) {
        status = PyObject_CallOneArg(cfg.status_from_value, reference);
        if (status == NULL) {
            goto defer_out;
        }
    } else if (PyErr_Occurred()) {
        goto defer_out;
    } else {
        status = Py_NewRef(Py_None);
    }
    visible = PyDict_New();
    if (visible == NULL) {
        goto defer_out;
    }
    PyObject *name, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(claims, &pos, &name, &value)) { /* claims minus the registered ones, in their order */
        int shown = PySet_Contains(cfg.not_shown, name);
        if (shown < 0 || (shown == 0 && PyDict_SetItem(visible, name, value) < 0)) {
            goto defer_out;
        }
    }
    PyObject *values[5] = {vct, issuer, visible, status, verified};
    PyObject *vc = build(cfg.vc_type, cfg.vc_slots, values, 5);
    Py_DECREF(status);
    Py_DECREF(visible);
    return vc;
defer_out:
    Py_XDECREF(status);
    Py_XDECREF(visible);
    *deferred = !PyErr_Occurred() || cleared();
    return NULL;
}

static PyObject *verify(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 10 || !PyList_CheckExact(args[8])) {
        PyErr_SetString(PyExc_TypeError, "verify(text, issuer_keys, stamp, slack, max_age, aud, nonce, require_kb, "
                                         "resolved: list, vc_only)");
        return NULL;
    }
    PyObject *issuer_keys = args[1], *stamp = args[2], *aud = args[5], *nonce = args[6];
    if (cfg.parse_compact == NULL || !PyFloat_CheckExact(stamp) || !PyFloat_CheckExact(args[3]) ||
        !PyFloat_CheckExact(args[4]) || !PyBool_Check(args[7])) {
        return defer();
    }
    double now = PyFloat_AS_DOUBLE(stamp), slack = PyFloat_AS_DOUBLE(args[3]), max_age = PyFloat_AS_DOUBLE(args[4]);
    PyObject *front = present_text(args[0], cfg.decode_text, cfg.scan_once, cfg.b64_defer);
    if (front == NULL || front == DEFER) {
        return front;
    }
    PyObject *kb_jwt = PyTuple_GET_ITEM(front, 1), *presented = PyTuple_GET_ITEM(front, 2);
    PyObject *jws = NULL, *keys = NULL, *walked = NULL, *holder = NULL, *paths = NULL, *verified = NULL;
    PyObject *result = NULL;
    int deferred = 0;
    if ((jws = parse_jws(PyTuple_GET_ITEM(front, 0), &deferred)) == NULL) {
        goto done;
    }
    PyObject *header = PyTuple_GET_ITEM(jws, 0), *payload = PyTuple_GET_ITEM(jws, 1);
    if (PyCallable_Check(issuer_keys)) { /* the resolver, where the Python code calls it: whatever it raises, raised */
        PyObject *call[2] = {header, payload};
        if ((keys = PyObject_Vectorcall(issuer_keys, call, 2, NULL)) == NULL || PyList_Append(args[8], keys) < 0) {
            goto done;
        }
    } else {
        keys = Py_NewRef(issuer_keys);
    }
    if (!PyList_CheckExact(keys) && !PyTuple_CheckExact(keys)) {
        deferred = 1;
        goto done;
    }
    int signed_by = 0;
    for (Py_ssize_t i = 0; signed_by == 0 && i < PySequence_Fast_GET_SIZE(keys); i++) {
        signed_by = verify_with(PySequence_Fast_GET_ITEM(keys, i), jws);
    }
    if (signed_by != 1) { /* no key verifies it (the Python code says so), or a key it does not handle */
        deferred = signed_by != -2;
        goto done;
    }
    PyObject *alg = PyDict_GetItemWithError(payload, S_SD_ALG);
    alg = alg == NULL ? S_SHA256 : alg;
    PyObject *hasher = NULL; /* _sd_alg names one of HASHERS (an array or object is refused by the Python code) */
    if (PyUnicode_CheckExact(alg) && !PyErr_Occurred()) {
        hasher = PyDict_GetItemWithError(cfg.hashers, alg);
    }
    if (hasher == NULL) {
        deferred = !PyErr_Occurred();
        goto done;
    }
    walked = walk_disclosed(PyTuple_GET_ITEM(front, 3), payload, hasher, cfg.encode);
    if (walked == NULL || walked == DEFER) {
        deferred = walked == DEFER;
        goto done;
    }
    PyObject *claims = PyTuple_GET_ITEM(walked, 0), *found = PyTuple_GET_ITEM(walked, 1);
    int wrong = times_wrong(claims, stamp, slack);
    if (wrong != 0 || (holder = holder_key(claims, &deferred)) == NULL) {
        deferred = deferred || wrong > 0;
        goto done;
    }
    PyObject *bound = Py_False;
    if (kb_jwt != Py_None || args[7] == Py_True || nonce != Py_None || aud != Py_None) {
        if (holder == Py_None || kb_jwt == Py_None) {
            deferred = 1;
            goto done;
        }
        if ((wrong = kb_wrong(kb_jwt, presented, holder, hasher, now, slack, max_age, aud, nonce)) != 0) {
            deferred = wrong > 0;
            goto done;
        }
        bound = Py_True;
    }
    if ((paths = PyList_AsTuple(found)) == NULL) {
        goto done;
    }
    PyObject *values[5] = {header, claims, paths, holder, bound};
    if ((verified = build(cfg.sd_type, cfg.sd_slots, values, 5)) == NULL) {
        goto done;
    }
    int vc = member_is(header, S_TYP, S_VC_TYPE);
    if (vc < 0 || (vc == 0 && args[9] != Py_False)) { /* not an SD-JWT VC: verified_vc refuses it */
        deferred = vc == 0;
        goto done;
    }
    result = vc ? vc_of(verified, claims, found, &deferred) : Py_NewRef(verified);
done:
    Py_DECREF(front);
    Py_XDECREF(jws);
    Py_XDECREF(keys);
    Py_XDECREF(walked);
    Py_XDECREF(holder);
    Py_XDECREF(paths);
    Py_XDECREF(verified);
    if (deferred) {
        Py_XDECREF(result);
        return defer();
    }
    return result;
}
