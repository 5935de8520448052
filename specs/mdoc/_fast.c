/* The common case of reading and checking a DeviceResponse in C (ISO/IEC 18013-5 §8.3.2.1.2.2, §9.1.2.4,
 * §9.1.3, §9.3.1), for specs/mdoc/verify.py through specs/mdoc/walk.py.
 *
 * walk(data, transcript) reads the DeviceResponse ``data`` and does every structural check the Python path
 * (DeviceResponse.from_cbor and the typed classes it builds) does, and the digest checks of §9.3.1, for the
 * common case only: status 0, one or more documents, each with issuerSigned (an ES256 issuerAuth with
 * x5chain and/or kid in its unprotected header, SHA-256 digests) and deviceSigned with a deviceSignature
 * (ES256, no unprotected header, detached payload). It returns one tuple per document:
 *
 *   (docType, issuer claims, device claims, MobileSecurityObject, x5chain, kid,
 *    issuerAuth signature, issuerAuth ToBeSigned, deviceSignature signature, deviceSignature ToBeSigned,
 *    the two signatures in DER form)
 *
 * and leaves to Python what needs keys and certificates: the certificate chain, both signatures, the MSO
 * dates, the docType match and keyAuthorizations. For anything else, and on ANY failed check, it returns the
 * configured DEFER object and the Python path runs and decides (with its own error and message): this code
 * never refuses, it only answers early for what it is sure the Python path would accept in the same way.
 *
 * Every embedded item (IssuerSignedItem, MSO, DeviceNameSpaces) is decoded as specs.cbor.codec.decode would,
 * with the limits the Python path uses (_value.h, the rules of specs/cbor/_strict.c); the digests are taken over the tag-24 items as received; the to-be-signed
 * bytes are built around the received bytes (RFC 9052 §4.4, §9.1.3.4), never over a re-encoding.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#ifdef MOBILEID_OPENSSL
#include <openssl/evp.h>
static EVP_MD_CTX *digest_context; /* reused: the GIL is held throughout */
static EVP_MD *digest_sha256;      /* fetched once (an implicit fetch per digest costs as much as the digest) */
#endif

#define MAX_RESPONSE_SIZE (512 * 1024) /* specs.mdoc.response.MAX_RESPONSE_SIZE */
#define MAX_ITEMS_SIZE (256 * 1024)    /* specs.cbor.codec.DEFAULT_MAX_SIZE: decode_each's limit per document */
#define MIN_RANDOM_LENGTH 16          /* specs.mdoc.items.MIN_RANDOM_LENGTH */

static PyObject *DEFER;
static PyObject *sha256;        /* hashlib.sha256 */
static PyObject *datetime_type;
static PyObject *key_authorizations_from; /* KeyAuthorizations.from_cbor_value */
static PyObject *status_from;             /* StatusReference.from_value */
/* the classes filled slot by slot, and their fields' member descriptors in field order */
static PyObject *mso_cls, *mso_fields, *dki_cls, *dki_fields, *validity_cls, *validity_fields, *key_cls,
    *key_fields;
static PyObject *label[5]; /* COSE_Key labels kty 1, kid 2, crv -1, x -2, y -3; and d -4 */
static PyObject *label_d, *zero, *digest_name;
static PyTypeObject *walked_type; /* specs.mdoc.walk.Walked, a NamedTuple of 12 */

static const unsigned char ES256_PROTECTED[3] = {0xa1, 0x01, 0x26}; /* {1: -7} */

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
} Cur;

typedef struct {
    const unsigned char *doctype, *namespaces, *x5chain, *kid, *issuer_signature, *payload, *mso,
        *device_namespaces, *device_signature;
    Py_ssize_t doctype_n, kid_n, issuer_signature_n, payload_n, mso_n, device_namespaces_n, device_signature_n;
} Doc;

/* ---- reading (0: not the common case, or malformed: defer) ------------------------------------------- */

static int head(Cur *c, int *major, uint64_t *value) {
    if (c->p >= c->end) {
        return 0;
    }
    unsigned char initial = *c->p++;
    int info = initial & 0x1f;
    *major = initial >> 5;
    if (info < 24) {
        *value = (uint64_t)info;
        return 1;
    }
    if (info > 27) { /* reserved, or indefinite length */
        return 0;
    }
    Py_ssize_t size = (Py_ssize_t)1 << (info - 24);
    if (c->end - c->p < size) {
        return 0;
    }
    uint64_t v = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        v = (v << 8) | c->p[i];
    }
    c->p += size;
    *value = v;
    return 1;
}

/* A byte or text string of major type ``want``. */
static int string(Cur *c, int want, const unsigned char **s, Py_ssize_t *n) {
    int major;
    uint64_t v;
    if (!head(c, &major, &v) || major != want || v > (uint64_t)(c->end - c->p)) {
        return 0;
    }
    *s = c->p;
    *n = (Py_ssize_t)v;
    c->p += v;
    return 1;
}

/* The item count of an array (4) or map (5); each item takes at least one byte. */
static int count(Cur *c, int want, Py_ssize_t *n) {
    int major;
    uint64_t v;
    if (!head(c, &major, &v) || major != want || v > (uint64_t)(c->end - c->p)) {
        return 0;
    }
    *n = (Py_ssize_t)v;
    return 1;
}

/* #6.24(bstr): the embedded bytes. */
static int tag24(Cur *c, const unsigned char **s, Py_ssize_t *n) {
    int major;
    uint64_t v;
    return head(c, &major, &v) && major == 6 && v == 24 && string(c, 2, s, n);
}

static int is(const unsigned char *s, Py_ssize_t n, const char *name) {
    return (size_t)n == strlen(name) && memcmp(s, name, (size_t)n) == 0;
}

/* The first map key (text, by name) seen twice: the Python decoder refuses duplicate keys. */
#define ONCE(flag)                                                                                             \
    if (flag) {                                                                                                \
        return 0;                                                                                              \
    }                                                                                                          \
    flag = 1

/* COSE_Sign1 [protected {1: -7}, unprotected, payload, signature]; the unprotected map is left at c->p. */
static int sign1_start(Cur *c) {
    Py_ssize_t n, len;
    const unsigned char *s;
    return count(c, 4, &n) && n == 4 && string(c, 2, &s, &len) && len == 3 && memcmp(s, ES256_PROTECTED, 3) == 0;
}

/* x5chain (RFC 9360 §2): a bstr, or a non-empty array of bstr (read_x5chain). */
static int x5chain(Cur *c) {
    const unsigned char *s;
    Py_ssize_t n, len;
    if (c->p < c->end && (*c->p >> 5) == 2) {
        return string(c, 2, &s, &len);
    }
    if (!count(c, 4, &n) || n == 0) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!string(c, 2, &s, &len)) {
            return 0;
        }
    }
    return 1;
}

/* issuerAuth: the unprotected header holds x5chain (33) and/or kid (4, a bstr), nothing else; the payload is
   MobileSecurityObjectBytes in its shortest form (what specs.cbor.raw.unwrap_tag24 reads). */
static int issuer_auth(Cur *c, Doc *d) {
    Py_ssize_t n;
    int seen_x5 = 0, seen_kid = 0;
    if (!sign1_start(c) || !count(c, 5, &n)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int major;
        uint64_t label_value;
        if (!head(c, &major, &label_value) || major != 0) {
            return 0;
        }
        if (label_value == 33) {
            ONCE(seen_x5);
            d->x5chain = c->p;
            if (!x5chain(c)) {
                return 0;
            }
        } else if (label_value == 4) {
            ONCE(seen_kid);
            if (!string(c, 2, &d->kid, &d->kid_n)) {
                return 0;
            }
        } else {
            return 0;
        }
    }
    const unsigned char *s;
    Py_ssize_t len;
    if (!string(c, 2, &s, &len) || len < 3 || s[0] != 0xd8 || s[1] != 0x18 || (s[2] >> 5) != 2) {
        return 0;
    }
    int info = s[2] & 0x1f;
    Py_ssize_t start, length;
    if (info < 24) {
        start = 3;
        length = info;
    } else if (info >= 24 && info <= 26) { /* 8-byte lengths cannot fit this message */
        Py_ssize_t size = (Py_ssize_t)1 << (info - 24);
        if (len < 3 + size) {
            return 0;
        }
        uint64_t v = 0;
        for (Py_ssize_t i = 0; i < size; i++) {
            v = (v << 8) | s[3 + i];
        }
        if ((size == 1 && v < 24) || (size > 1 && v < ((uint64_t)1 << (4 * size)))) {
            return 0; /* not the shortest form */
        }
        start = 3 + size;
        length = (Py_ssize_t)v;
    } else {
        return 0;
    }
    if (len - start != length) {
        return 0;
    }
    d->payload = s;
    d->payload_n = len;
    d->mso = s + start;
    d->mso_n = length;
    return string(c, 2, &d->issuer_signature, &d->issuer_signature_n);
}

/* IssuerNameSpaces: text -> non-empty array of IssuerSignedItemBytes (checked again, item by item, later). */
static int issuer_namespaces(Cur *c) {
    Py_ssize_t n, k, len;
    const unsigned char *s;
    if (!count(c, 5, &n)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!string(c, 3, &s, &len) || !count(c, 4, &k) || k == 0) {
            return 0;
        }
        for (Py_ssize_t j = 0; j < k; j++) {
            if (!tag24(c, &s, &len)) {
                return 0;
            }
        }
    }
    return 1;
}

static int issuer_signed(Cur *c, Doc *d) {
    Py_ssize_t n, len;
    const unsigned char *key;
    int seen_ns = 0, seen_auth = 0;
    if (!count(c, 5, &n)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!string(c, 3, &key, &len)) {
            return 0;
        }
        if (is(key, len, "nameSpaces")) {
            ONCE(seen_ns);
            d->namespaces = c->p;
            if (!issuer_namespaces(c)) {
                return 0;
            }
        } else if (is(key, len, "issuerAuth")) {
            ONCE(seen_auth);
            if (!issuer_auth(c, d)) {
                return 0;
            }
        } else {
            return 0;
        }
    }
    return seen_auth;
}

/* DeviceSigned {nameSpaces: DeviceNameSpacesBytes, deviceAuth: {deviceSignature: COSE_Sign1}}, the signature
   with an empty unprotected header and a detached (nil) payload. */
static int device_signed(Cur *c, Doc *d) {
    Py_ssize_t n, m, len;
    const unsigned char *key;
    int seen_ns = 0, seen_auth = 0;
    if (!count(c, 5, &n)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!string(c, 3, &key, &len)) {
            return 0;
        }
        if (is(key, len, "nameSpaces")) {
            ONCE(seen_ns);
            if (!tag24(c, &d->device_namespaces, &d->device_namespaces_n)) {
                return 0;
            }
        } else if (is(key, len, "deviceAuth")) {
            ONCE(seen_auth);
            if (!count(c, 5, &m) || m != 1 || !string(c, 3, &key, &len) || !is(key, len, "deviceSignature") ||
                !sign1_start(c) || !count(c, 5, &m) || m != 0 || c->p >= c->end || *c->p++ != 0xf6 ||
                !string(c, 2, &d->device_signature, &d->device_signature_n)) {
                return 0;
            }
        } else {
            return 0;
        }
    }
    return seen_ns && seen_auth;
}

static int document(Cur *c, Doc *d) {
    Py_ssize_t n, len;
    const unsigned char *key;
    int seen_type = 0, seen_issuer = 0, seen_device = 0;
    if (!count(c, 5, &n)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!string(c, 3, &key, &len)) {
            return 0;
        }
        if (is(key, len, "docType")) {
            ONCE(seen_type);
            if (!string(c, 3, &d->doctype, &d->doctype_n)) {
                return 0;
            }
        } else if (is(key, len, "issuerSigned")) {
            ONCE(seen_issuer);
            if (!issuer_signed(c, d)) {
                return 0;
            }
        } else if (is(key, len, "deviceSigned")) {
            ONCE(seen_device);
            if (!device_signed(c, d)) {
                return 0;
            }
        } else {
            return 0; /* "errors" and anything else: the Python path */
        }
    }
    return seen_type && seen_issuer && seen_device;
}

/* ---- building (NULL: defer, or an exception to clear and defer) ------------------------------------- */

static PyObject *text(const unsigned char *s, Py_ssize_t n) {
    return PyUnicode_DecodeUTF8((const char *)s, n, "strict");
}

#include "_value.h"

/* EncodedCBOR.decode() of the received bytes ``s`` (MDOC_TAGS, the default depth); NULL: defer. */
static PyObject *decode_embedded(const unsigned char *s, Py_ssize_t n) { return value_decode(s, n); }

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

/* The text keys looked up, made once (their hashes cached). */
#define KEYS(X)                                                                                                \
    X(version) X(digestAlgorithm) X(valueDigests) X(docType) X(deviceKeyInfo) X(validityInfo) X(status)         \
        X(deviceKey) X(keyAuthorizations) X(keyInfo) X(signed) X(validFrom) X(validUntil) X(expectedUpdate)     \
            X(digestID) X(random) X(elementIdentifier) X(elementValue)
#define DECLARE(name) static PyObject *k_##name;
KEYS(DECLARE)
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

static Py_ssize_t head_size(Py_ssize_t n) {
    return n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : n <= 0xffffffffLL ? 5 : 9;
}

/* The shortest head of ``major`` with argument ``n`` (RFC 8949 §4.2.1), as cbor2 writes it. */
static unsigned char *put_head(unsigned char *out, int major, Py_ssize_t n) {
    Py_ssize_t size = head_size(n);
    if (size == 1) {
        *out++ = (unsigned char)((major << 5) | n);
        return out;
    }
    *out++ = (unsigned char)((major << 5) | (size == 2 ? 24 : size == 3 ? 25 : size == 5 ? 26 : 27));
    for (Py_ssize_t i = size - 2; i >= 0; i--) {
        *out++ = (unsigned char)(((uint64_t)n >> (8 * i)) & 0xff);
    }
    return out;
}

static unsigned char *put(unsigned char *out, const void *s, Py_ssize_t n) {
    memcpy(out, s, (size_t)n);
    return out + n;
}

/* #6.24(bstr) around ``s`` (specs.cbor.raw.tag24). */
static PyObject *wrap24(const unsigned char *s, Py_ssize_t n) {
    PyObject *out = PyBytes_FromStringAndSize(NULL, 2 + head_size(n) + n);
    if (out != NULL) {
        unsigned char *o = (unsigned char *)PyBytes_AS_STRING(out);
        *o++ = 0xd8;
        *o++ = 0x18;
        put(put_head(o, 2, n), s, n);
    }
    return out;
}

/* RFC 9052 §4.4 Sig_structure ["Signature1", protected {1: -7}, h'', payload]. */
static PyObject *to_be_signed(const unsigned char *payload, Py_ssize_t n) {
    PyObject *out = PyBytes_FromStringAndSize(NULL, 1 + 11 + 4 + 1 + head_size(n) + n);
    if (out != NULL) {
        unsigned char *o = (unsigned char *)PyBytes_AS_STRING(out);
        o = put(o, "\x84\x6aSignature1\x43\xa1\x01\x26\x40", 17);
        put(put_head(o, 2, n), payload, n);
    }
    return out;
}

/* §9.1.3.4 DeviceAuthenticationBytes = #6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript, DocType,
   DeviceNameSpacesBytes]), from the transcript as encoded and the DeviceNameSpacesBytes as received. */
static PyObject *device_authentication(PyObject *transcript, const Doc *d) {
    Py_ssize_t t = PyBytes_GET_SIZE(transcript);
    Py_ssize_t ns = 2 + head_size(d->device_namespaces_n) + d->device_namespaces_n;
    Py_ssize_t body = 1 + 21 + t + head_size(d->doctype_n) + d->doctype_n + ns;
    unsigned char *buf = PyMem_Malloc((size_t)body);
    if (buf == NULL) {
        return PyErr_NoMemory();
    }
    unsigned char *o = put(buf, "\x84\x74" "DeviceAuthentication", 22);
    o = put(o, PyBytes_AS_STRING(transcript), t);
    o = put(put_head(o, 3, d->doctype_n), d->doctype, d->doctype_n);
    *o++ = 0xd8;
    *o++ = 0x18;
    put(put_head(o, 2, d->device_namespaces_n), d->device_namespaces, d->device_namespaces_n);
    PyObject *wrapped = wrap24(buf, body);
    PyMem_Free(buf);
    if (wrapped == NULL) {
        return NULL;
    }
    PyObject *tbs = to_be_signed((const unsigned char *)PyBytes_AS_STRING(wrapped), PyBytes_GET_SIZE(wrapped));
    Py_DECREF(wrapped);
    return tbs;
}

/* §9.1.2.5: SHA-256 of IssuerSignedItemBytes (the tag-24 item around the received bytes) equals ``expected``. */
static int digest_matches(const unsigned char *s, Py_ssize_t n, PyObject *expected) {
    if (PyBytes_GET_SIZE(expected) != 32) {
        return 0;
    }
#ifdef MOBILEID_OPENSSL
    unsigned char head_bytes[11], digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    head_bytes[0] = 0xd8;
    head_bytes[1] = 0x18;
    size_t head_n = (size_t)(put_head(head_bytes + 2, 2, n) - head_bytes);
    return EVP_DigestInit_ex2(digest_context, digest_sha256, NULL) == 1 &&
           EVP_DigestUpdate(digest_context, head_bytes, head_n) == 1 &&
           EVP_DigestUpdate(digest_context, s, (size_t)n) == 1 &&
           EVP_DigestFinal_ex(digest_context, digest, &size) == 1 && size == 32 &&
           memcmp(digest, PyBytes_AS_STRING(expected), 32) == 0;
#else
    PyObject *tagged = wrap24(s, n), *hash = NULL, *digest = NULL;
    int same = tagged != NULL && (hash = PyObject_CallOneArg(sha256, tagged)) != NULL &&
               (digest = PyObject_CallMethodNoArgs(hash, digest_name)) != NULL && PyBytes_CheckExact(digest) &&
               PyBytes_GET_SIZE(digest) == 32 && memcmp(PyBytes_AS_STRING(digest), PyBytes_AS_STRING(expected), 32) == 0;
    Py_XDECREF(tagged);
    Py_XDECREF(hash);
    Py_XDECREF(digest);
    return same;
#endif
}

/* IssuerSignedItem.from_decoded and _check_digests (§9.3.1) for every presented item: the claims, or NULL. */
static PyObject *claims(const Doc *d, const unsigned char *end, PyObject *digests) {
    PyObject *out = PyDict_New(), *values = NULL, *seen = NULL, *ns = NULL;
    if (out == NULL || d->namespaces == NULL) {
        return out; /* no nameSpaces: no claims */
    }
    Cur c = {d->namespaces, end};
    Py_ssize_t n, k, len, total = 0;
    const unsigned char *s;
    if (!count(&c, 5, &n)) {
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!string(&c, 3, &s, &len) || (ns = text(s, len)) == NULL || !count(&c, 4, &k)) {
            goto fail;
        }
        PyObject *expected_digests = PyDict_GetItemWithError(digests, ns);
        if (expected_digests == NULL || PyDict_Contains(out, ns) != 0) {
            goto fail; /* a namespace without digests, or one presented twice */
        }
        if ((values = PyDict_New()) == NULL || (seen = PySet_New(NULL)) == NULL) {
            goto fail;
        }
        for (Py_ssize_t j = 0; j < k; j++) {
            if (!tag24(&c, &s, &len) || (total += len) > MAX_ITEMS_SIZE) {
                goto fail;
            }
            PyObject *item = decode_embedded(s, len);
            if (item == NULL) {
                goto fail;
            }
            PyObject *digest_id = NULL, *random = NULL, *identifier = NULL, *element = NULL;
            int ok = PyDict_CheckExact(item) && PyDict_GET_SIZE(item) == 4 &&
                     (digest_id = get(item, digestID)) != NULL && PyLong_CheckExact(digest_id) &&
                     PyObject_RichCompareBool(digest_id, zero, Py_GE) == 1 &&
                     (random = get(item, random)) != NULL && PyBytes_CheckExact(random) &&
                     PyBytes_GET_SIZE(random) >= MIN_RANDOM_LENGTH &&
                     (identifier = get(item, elementIdentifier)) != NULL && PyUnicode_CheckExact(identifier) &&
                     (element = get(item, elementValue)) != NULL && PySet_Contains(seen, digest_id) == 0 &&
                     PyDict_Contains(values, identifier) == 0 && PySet_Add(seen, digest_id) == 0;
            PyObject *expected = ok ? PyDict_GetItemWithError(expected_digests, digest_id) : NULL;
            ok = expected != NULL && digest_matches(s, len, expected) && PyDict_SetItem(values, identifier, element) == 0;
            Py_DECREF(item);
            if (!ok) {
                goto fail;
            }
        }
        if (PyDict_SetItem(out, ns, values) < 0) {
            goto fail;
        }
        Py_CLEAR(ns);
        Py_CLEAR(values);
        Py_CLEAR(seen);
    }
    return out;
fail:
    Py_XDECREF(ns);
    Py_XDECREF(values);
    Py_XDECREF(seen);
    Py_DECREF(out);
    return NULL;
}

/* DeviceSigned.from_cbor_value's check of DeviceNameSpaces: text -> map of text -> any. */
static PyObject *device_claims(const Doc *d) {
    PyObject *value = decode_embedded(d->device_namespaces, d->device_namespaces_n);
    if (value == NULL) {
        return NULL;
    }
    if (!PyDict_CheckExact(value)) {
        goto fail;
    }
    Py_ssize_t pos = 0, inner;
    PyObject *ns, *elements, *element, *element_value;
    while (PyDict_Next(value, &pos, &ns, &elements)) {
        if (!PyUnicode_CheckExact(ns) || !PyDict_CheckExact(elements)) {
            goto fail;
        }
        inner = 0;
        while (PyDict_Next(elements, &inner, &element, &element_value)) {
            if (!PyUnicode_CheckExact(element)) {
                goto fail;
            }
        }
    }
    return value;
fail:
    Py_DECREF(value);
    return NULL;
}

/* An ES256 signature r || s (64 bytes) as DER Ecdsa-Sig-Value (RFC 3279 §2.2.3), exactly as
   specs.crypto.raw_to_der_signature makes it; None for any other length (verify_signature then refuses it). */
static PyObject *der_signature(const unsigned char *raw, Py_ssize_t n) {
    if (n != 64) {
        return Py_NewRef(Py_None);
    }
    unsigned char out[72], *o = out + 2;
    for (int half = 0; half < 2; half++) {
        const unsigned char *v = raw + 32 * half;
        int skip = 0;
        while (skip < 31 && v[skip] == 0) { /* each INTEGER in its fewest bytes, at least one */
            skip++;
        }
        int pad = v[skip] > 0x7f; /* a zero byte before a set top bit: it is positive */
        *o++ = 0x02;
        *o++ = (unsigned char)(32 - skip + pad);
        if (pad) {
            *o++ = 0x00;
        }
        o = put(o, v + skip, 32 - skip);
    }
    out[0] = 0x30;
    out[1] = (unsigned char)(o - out - 2);
    return PyBytes_FromStringAndSize((const char *)out, o - out);
}

static PyObject *x5chain_tuple(const Doc *d, const unsigned char *end) {
    if (d->x5chain == NULL) {
        return PyTuple_New(0);
    }
    Cur c = {d->x5chain, end};
    const unsigned char *s;
    Py_ssize_t n = 1, len;
    int single = (*c.p >> 5) == 2;
    if (!single && !count(&c, 4, &n)) {
        return NULL;
    }
    PyObject *chain = PyTuple_New(n);
    for (Py_ssize_t i = 0; chain != NULL && i < n; i++) {
        PyObject *cert = string(&c, 2, &s, &len) ? PyBytes_FromStringAndSize((const char *)s, len) : NULL;
        if (cert == NULL) {
            Py_CLEAR(chain);
            break;
        }
        PyTuple_SET_ITEM(chain, i, cert);
    }
    return chain;
}

static PyObject *verified_parts(const Doc *d, const unsigned char *end, PyObject *transcript) {
    PyObject *parts[12] = {NULL};
    PyObject *digests = NULL, *result = NULL;
    PyObject *mso_value = decode_embedded(d->mso, d->mso_n);
    if (mso_value == NULL) {
        return NULL;
    }
    parts[3] = mso(mso_value, &digests);
    Py_DECREF(mso_value);
    if (parts[3] == NULL || (parts[0] = text(d->doctype, d->doctype_n)) == NULL ||
        (parts[1] = claims(d, end, digests)) == NULL || (parts[2] = device_claims(d)) == NULL ||
        (parts[4] = x5chain_tuple(d, end)) == NULL ||
        (parts[5] = d->kid == NULL ? Py_NewRef(Py_None)
                                   : PyBytes_FromStringAndSize((const char *)d->kid, d->kid_n)) == NULL ||
        (parts[6] = PyBytes_FromStringAndSize((const char *)d->issuer_signature, d->issuer_signature_n)) == NULL ||
        (parts[7] = to_be_signed(d->payload, d->payload_n)) == NULL ||
        (parts[8] = PyBytes_FromStringAndSize((const char *)d->device_signature, d->device_signature_n)) == NULL ||
        (parts[9] = device_authentication(transcript, d)) == NULL ||
        (parts[10] = der_signature(d->issuer_signature, d->issuer_signature_n)) == NULL ||
        (parts[11] = der_signature(d->device_signature, d->device_signature_n)) == NULL) {
        goto done;
    }
    result = walked_type->tp_alloc(walked_type, 12); /* as tuple.__new__ makes a tuple subclass's instance */
    if (result != NULL) {
        for (int i = 0; i < 12; i++) {
            PyTuple_SET_ITEM(result, i, parts[i]);
            parts[i] = NULL;
        }
    }
done:
    for (int i = 0; i < 12; i++) {
        Py_XDECREF(parts[i]);
    }
    Py_XDECREF(digests);
    return result;
}

/* DeviceResponse {version: "1.x", documents: [+Document], status: 0}, nothing else. */
static PyObject *walk_response(const unsigned char *data, Py_ssize_t size, PyObject *transcript) {
    Cur c = {data, data + size};
    Py_ssize_t n, docs = 0, len;
    const unsigned char *key, *version = NULL, *documents = NULL;
    int seen_status = 0;
    if (size > MAX_RESPONSE_SIZE || !count(&c, 5, &n)) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!string(&c, 3, &key, &len)) {
            return NULL;
        }
        if (is(key, len, "version")) {
            if (version != NULL || !string(&c, 3, &version, &len) || len < 2 || version[0] != '1' ||
                version[1] != '.') {
                return NULL;
            }
            PyObject *check = text(version, len); /* valid UTF-8, or the decoder refuses it */
            if (check == NULL) {
                return NULL;
            }
            Py_DECREF(check);
        } else if (is(key, len, "documents")) {
            if (documents != NULL || !count(&c, 4, &docs) || docs == 0) {
                return NULL;
            }
            documents = c.p;
            for (Py_ssize_t j = 0; j < docs; j++) { /* the structure first; the values once all is read */
                Doc d = {0};
                if (!document(&c, &d)) {
                    return NULL;
                }
            }
        } else if (is(key, len, "status")) {
            int major;
            uint64_t status;
            if (seen_status || !head(&c, &major, &status) || major != 0 || status != 0) {
                return NULL;
            }
            seen_status = 1;
        } else {
            return NULL; /* documentErrors and anything else: the Python path */
        }
    }
    if (c.p != c.end || version == NULL || documents == NULL || !seen_status) {
        return NULL;
    }
    PyObject *out = PyList_New(docs);
    Cur again = {documents, data + size};
    for (Py_ssize_t j = 0; out != NULL && j < docs; j++) {
        Doc d = {0};
        PyObject *parts = document(&again, &d) ? verified_parts(&d, data + size, transcript) : NULL;
        if (parts == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, j, parts);
    }
    return out;
}

static PyObject *walk(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyBytes_CheckExact(args[0]) || !PyBytes_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "walk(data: bytes, transcript: bytes)");
        return NULL;
    }
    if (DEFER == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() has not been called");
        return NULL;
    }
    PyObject *out = walk_response((const unsigned char *)PyBytes_AS_STRING(args[0]), PyBytes_GET_SIZE(args[0]),
                                  args[1]);
    if (out == NULL) {
        /* whatever went wrong (a check, or an exception of a callable), the Python path decides it */
        PyErr_Clear();
        return Py_NewRef(DEFER);
    }
    return out;
}

/* value_decode alone, for the differential tests of _value.h against the Python decoder. */
static PyObject *decode(PyObject *module, PyObject *data) {
    if (!PyBytes_CheckExact(data) || DEFER == NULL) {
        PyErr_SetString(PyExc_TypeError, "decode(data: bytes), after configure()");
        return NULL;
    }
    PyObject *value = value_decode((const unsigned char *)PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data));
    if (value == NULL) {
        PyErr_Clear();
        return Py_NewRef(DEFER);
    }
    return value;
}

static int fields_of(PyObject *fields, Py_ssize_t n) {
    if (!PyTuple_CheckExact(fields) || PyTuple_GET_SIZE(fields) != n) {
        PyErr_SetString(PyExc_TypeError, "configure(): wrong field descriptors");
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (Py_TYPE(PyTuple_GET_ITEM(fields, i))->tp_descr_set == NULL) {
            PyErr_SetString(PyExc_TypeError, "configure(): a field is not a slot");
            return 0;
        }
    }
    return 1;
}

static PyObject *configure(PyObject *module, PyObject *args) {
    PyObject *defer, *encoded, *tdate, *full_date, *hasher, *datetime, *authorizations, *status, *walked;
    PyObject *m_cls, *m_fields, *k_cls, *k_fields, *v_cls, *v_fields, *c_cls, *c_fields;
    if (!PyArg_ParseTuple(args, "OOOOOOOOO(OO)(OO)(OO)(OO)", &defer, &encoded, &tdate, &full_date, &hasher, &datetime,
                          &authorizations, &status, &walked, &m_cls, &m_fields, &k_cls, &k_fields, &v_cls, &v_fields,
                          &c_cls, &c_fields)) {
        return NULL;
    }
    if (!PyType_Check(datetime) || !PyType_Check(m_cls) || !PyType_Check(k_cls) || !PyType_Check(v_cls) ||
        !PyType_Check(c_cls) || !PyType_Check(walked) ||
        !PyType_IsSubtype((PyTypeObject *)walked, &PyTuple_Type) || ((PyTypeObject *)walked)->tp_basicsize !=
        PyTuple_Type.tp_basicsize) {
        PyErr_SetString(PyExc_TypeError, "configure(): classes and a depth expected");
        return NULL;
    }
    if (!fields_of(m_fields, 7) || !fields_of(k_fields, 3) || !fields_of(v_fields, 4) || !fields_of(c_fields, 6)) {
        return NULL;
    }
    static const long labels[5] = {1, 2, -1, -2, -3};
    for (int i = 0; i < 5; i++) {
        if (label[i] == NULL && (label[i] = PyLong_FromLong(labels[i])) == NULL) {
            return NULL;
        }
    }
#define MAKE(name)                                                                                             \
    if (k_##name == NULL && (k_##name = PyUnicode_InternFromString(#name)) == NULL) {                          \
        return NULL;                                                                                           \
    }
    KEYS(MAKE)
    if ((label_d == NULL && (label_d = PyLong_FromLong(-4)) == NULL) ||
        (zero == NULL && (zero = PyLong_FromLong(0)) == NULL) ||
        (digest_name == NULL && (digest_name = PyUnicode_InternFromString("digest")) == NULL)) {
        return NULL;
    }
#ifdef MOBILEID_OPENSSL
    if (digest_context == NULL && (digest_context = EVP_MD_CTX_new()) == NULL) {
        return PyErr_NoMemory();
    }
    if (digest_sha256 == NULL && (digest_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure(): OpenSSL has no SHA-256");
        return NULL;
    }
#endif
    Py_XSETREF(DEFER, Py_NewRef(defer));
    Py_XSETREF(make_encoded, Py_NewRef(encoded));
    Py_XSETREF(decode_tdate, Py_NewRef(tdate));
    Py_XSETREF(decode_full_date, Py_NewRef(full_date));
    Py_XSETREF(sha256, Py_NewRef(hasher));
    Py_XSETREF(datetime_type, Py_NewRef(datetime));
    Py_XSETREF(key_authorizations_from, Py_NewRef(authorizations));
    Py_XSETREF(status_from, Py_NewRef(status));
    Py_XSETREF(walked_type, (PyTypeObject *)Py_NewRef(walked));
    Py_XSETREF(mso_cls, Py_NewRef(m_cls));
    Py_XSETREF(mso_fields, Py_NewRef(m_fields));
    Py_XSETREF(dki_cls, Py_NewRef(k_cls));
    Py_XSETREF(dki_fields, Py_NewRef(k_fields));
    Py_XSETREF(validity_cls, Py_NewRef(v_cls));
    Py_XSETREF(validity_fields, Py_NewRef(v_fields));
    Py_XSETREF(key_cls, Py_NewRef(c_cls));
    Py_XSETREF(key_fields, Py_NewRef(c_fields));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"walk", (PyCFunction)(void (*)(void))walk, METH_FASTCALL,
     "walk(data, transcript): one tuple per document, or the configured DEFER object"},
    {"decode", decode, METH_O, "decode(data): EncodedCBOR(data).decode(), or the DEFER object (tests)"},
    {"configure", configure, METH_VARARGS, "configure(...): see specs/mdoc/walk.py"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "specs.mdoc._fast",
                                    "DeviceResponse reading and checks, the common case in C (specs/mdoc/walk.py).",
                                    -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fast(void) {
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return NULL;
    }
    return PyModule_Create(&module);
}
