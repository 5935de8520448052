/* The structure of a DeviceResponse, read without building anything: part of specs/mdoc/_fast.c, included by it.
 *
 * Each function reads one structure of the common case (ISO/IEC 18013-5 §8.3.2.1.2.2, RFC 9052 §4.2) at the reader
 * and records where its values are; it answers 0 (defer) for anything else: another key, a key seen twice, another
 * type, another header or algorithm.
 */

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
