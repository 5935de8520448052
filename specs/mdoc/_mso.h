/* The typed objects of the MSO (ISO/IEC 18013-5 §9.1.2.4) filled in C: part of specs/mdoc/_fast.c, included by it.
 *
 * MobileSecurityObject.from_cbor_value and its parts, for what the common case allows (SHA-256, an EC2 P-256 device
 * key without a private part), each class filled slot by slot as specs.slots.builder does; keyAuthorizations and
 * status go to their own Python functions. NULL: defer (an exception, if any, is cleared by the caller).
 */

/* An instance of the frozen, slotted dataclass ``cls`` with ``values`` set in its slots (specs.slots.builder). */
static PyObject *build(PyObject *cls, PyObject *fields, PyObject **values) {
    PyTypeObject *type = (PyTypeObject *)cls;
    PyObject *obj = type->tp_alloc(type, 0);
    if (obj == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(fields); i++) {
        PyObject *descr = PyTuple_GET_ITEM(fields, i);
        if (Py_TYPE(descr)->tp_descr_set(descr, obj, values[i]) < 0) {
            Py_DECREF(obj);
            return NULL;
        }
    }
    return obj;
}

/* KEYS, the text keys looked up here, are made once in configure() (_value.h declares them: the decoder hands
   them out as the MSO's map keys). */
#define get(map, name) PyDict_GetItem(map, k_##name) /* borrowed, NULL when absent */

static int exact_text(PyObject *value, const char *expected) {
    return value != NULL && PyUnicode_CheckExact(value) && PyUnicode_CompareWithASCIIString(value, expected) == 0;
}

static int is_datetime(PyObject *value) {
    return value != NULL && PyObject_TypeCheck(value, (PyTypeObject *)datetime_type);
}

/* CoseKey.from_cbor_value, EC2 P-256 only, without a private part. */
static PyObject *device_key(PyObject *value) {
    if (value == NULL || !PyDict_CheckExact(value)) {
        return NULL;
    }
    PyObject *kty = PyDict_GetItem(value, label[0]), *kid = PyDict_GetItem(value, label[1]);
    PyObject *crv = PyDict_GetItem(value, label[2]), *x = PyDict_GetItem(value, label[3]);
    PyObject *y = PyDict_GetItem(value, label[4]), *d = PyDict_GetItem(value, label_d);
    if (kty == NULL || !PyLong_CheckExact(kty) || PyLong_AsLong(kty) != 2 || crv == NULL ||
        !PyLong_CheckExact(crv) || PyLong_AsLong(crv) != 1 || x == NULL || !PyBytes_CheckExact(x) ||
        PyBytes_GET_SIZE(x) != 32 || y == NULL || !PyBytes_CheckExact(y) || PyBytes_GET_SIZE(y) != 32 ||
        (d != NULL && d != Py_None) || (kid != NULL && kid != Py_None && !PyBytes_CheckExact(kid))) {
        PyErr_Clear(); /* PyLong_AsLong's overflow */
        return NULL;
    }
    PyObject *values[6] = {kty, crv, x, y, Py_None, kid == NULL ? Py_None : kid};
    return build(key_cls, key_fields, values);
}

/* MobileSecurityObject.from_cbor_value with digestAlgorithm SHA-256; ``digests`` gets its valueDigests. */
static PyObject *mso(PyObject *value, PyObject **digests) {
    PyObject *result = NULL, *key = NULL, *dki = NULL, *validity = NULL, *status = NULL, *auth = NULL,
             *info = NULL;
    *digests = NULL;
    if (!PyDict_CheckExact(value) || !exact_text(get(value, version), "1.0") ||
        !exact_text(get(value, digestAlgorithm), "SHA-256")) {
        return NULL;
    }
    PyObject *version = get(value, version), *algorithm = get(value, digestAlgorithm);
    PyObject *value_digests = get(value, valueDigests), *doctype = get(value, docType);
    PyObject *key_info = get(value, deviceKeyInfo), *validity_info = get(value, validityInfo);
    PyObject *status_value = get(value, status);
    if (value_digests == NULL || !PyDict_CheckExact(value_digests) || doctype == NULL ||
        !PyUnicode_CheckExact(doctype) || key_info == NULL || !PyDict_CheckExact(key_info) ||
        validity_info == NULL || !PyDict_CheckExact(validity_info)) {
        return NULL;
    }
    *digests = PyDict_New();
    if (*digests == NULL) {
        return NULL;
    }
    Py_ssize_t pos = 0;
    PyObject *ns, *ids;
    while (PyDict_Next(value_digests, &pos, &ns, &ids)) {
        if (!PyUnicode_CheckExact(ns) || !PyDict_CheckExact(ids)) {
            goto done;
        }
        Py_ssize_t inner = 0;
        PyObject *id, *digest;
        while (PyDict_Next(ids, &inner, &id, &digest)) {
            if (!PyLong_CheckExact(id) || !PyBytes_CheckExact(digest)) {
                goto done;
            }
        }
        PyObject *copy = PyDict_Copy(ids);
        if (copy == NULL || PyDict_SetItem(*digests, ns, copy) < 0) {
            Py_XDECREF(copy);
            goto done;
        }
        Py_DECREF(copy);
    }
    /* DeviceKeyInfo: deviceKey, keyAuthorizations and keyInfo (a map, copied) */
    key = device_key(get(key_info, deviceKey));
    if (key == NULL) {
        goto done;
    }
    PyObject *auth_value = get(key_info, keyAuthorizations), *info_value = get(key_info, keyInfo);
    if (auth_value != NULL && auth_value != Py_None) {
        auth = PyObject_CallOneArg(key_authorizations_from, auth_value);
        if (auth == NULL) {
            goto done;
        }
    }
    if (info_value != NULL && info_value != Py_None) {
        if (!PyDict_CheckExact(info_value) || (info = PyDict_Copy(info_value)) == NULL) {
            goto done;
        }
    }
    PyObject *dki_values[3] = {key, auth ? auth : Py_None, info ? info : Py_None};
    if ((dki = build(dki_cls, dki_fields, dki_values)) == NULL) {
        goto done;
    }
    /* ValidityInfo: tdates, datetimes once decoded */
    PyObject *signed_ = get(validity_info, signed), *from = get(validity_info, validFrom);
    PyObject *until = get(validity_info, validUntil), *update = get(validity_info, expectedUpdate);
    if (!is_datetime(signed_) || !is_datetime(from) || !is_datetime(until) ||
        (update != NULL && update != Py_None && !is_datetime(update))) {
        goto done;
    }
    PyObject *validity_values[4] = {signed_, from, until, update ? update : Py_None};
    if ((validity = build(validity_cls, validity_fields, validity_values)) == NULL) {
        goto done;
    }
    if (status_value != NULL && status_value != Py_None) {
        status = PyObject_CallOneArg(status_from, status_value);
        if (status == NULL) {
            goto done;
        }
    }
    PyObject *mso_values[7] = {version, algorithm, *digests, dki, doctype, validity, status ? status : Py_None};
    result = build(mso_cls, mso_fields, mso_values);
done:
    Py_XDECREF(key);
    Py_XDECREF(auth);
    Py_XDECREF(info);
    Py_XDECREF(dki);
    Py_XDECREF(validity);
    Py_XDECREF(status);
    if (result == NULL) {
        Py_CLEAR(*digests);
    }
    return result;
}
