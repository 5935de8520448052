/* The bytes and checks of one document: part of specs/mdoc/_fast.c, included by it.
 *
 * The to-be-signed bytes of both signatures built around the received bytes (RFC 9052 §4.4, ISO/IEC 18013-5
 * §9.1.3.4), the digest checks of §9.3.1, the device-signed claims, the DER form of the signatures, and the tuple
 * handed to Python. NULL: defer (an exception, if any, is cleared by the caller).
 */

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

/* An IssuerSignedItem (§8.3.2.1.2.2) read from its received bytes without building its map: what decode_embedded
   and the checks of claims() below accept, exactly, i.e. a map of the four keys, each once, in any order, and nothing
   after it: digestID an unsigned integer (the decoder makes it an int >= 0), random a byte string of at least
   MIN_RANDOM_LENGTH bytes (never used beyond that check), elementIdentifier a text string (valid UTF-8) and
   elementValue any value value_item reads at the depth the map's values have. Anything else (another key, a key
   that is not a text string, a duplicate, a tag or another type, trailing bytes): 0, defer; the three outputs are
   then NULL. */
static int issuer_item(const unsigned char *s, Py_ssize_t n, PyObject **digest_id, PyObject **identifier,
                       PyObject **element) {
    Cur c = {s, s + n};
    Py_ssize_t entries, len;
    const unsigned char *key, *value;
    int major, seen_random = 0;
    uint64_t id;
    *digest_id = *identifier = *element = NULL;
    if (!count(&c, 5, &entries) || entries != 4) {
        goto fail;
    }
    for (int i = 0; i < 4; i++) {
        if (!string(&c, 3, &key, &len)) {
            goto fail;
        }
        if (is(key, len, "digestID")) {
            if (*digest_id != NULL || !head(&c, &major, &id) || major != 0 ||
                (*digest_id = PyLong_FromUnsignedLongLong(id)) == NULL) {
                goto fail;
            }
        } else if (is(key, len, "random")) {
            if (seen_random || !string(&c, 2, &value, &len) || len < MIN_RANDOM_LENGTH) {
                goto fail;
            }
            seen_random = 1;
        } else if (is(key, len, "elementIdentifier")) {
            if (*identifier != NULL || !string(&c, 3, &value, &len) || (*identifier = text(value, len)) == NULL) {
                goto fail;
            }
        } else if (is(key, len, "elementValue")) {
            Reader r = {c.p, c.end, 0};
            if (*element != NULL || (*element = value_item(&r, 1)) == NULL) {
                goto fail;
            }
            c.p = r.p;
        } else {
            goto fail;
        }
    }
    if (c.p == c.end) { /* four distinct keys of four: each was there once */
        return 1;
    }
fail:
    Py_CLEAR(*digest_id);
    Py_CLEAR(*identifier);
    Py_CLEAR(*element);
    return 0;
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
            PyObject *digest_id, *identifier, *element;
            if (!issuer_item(s, len, &digest_id, &identifier, &element)) {
                goto fail;
            }
            int ok = PySet_Contains(seen, digest_id) == 0 && PyDict_Contains(values, identifier) == 0 &&
                     PySet_Add(seen, digest_id) == 0;
            PyObject *expected = ok ? PyDict_GetItemWithError(expected_digests, digest_id) : NULL;
            ok = expected != NULL && digest_matches(s, len, expected) && PyDict_SetItem(values, identifier, element) == 0;
            Py_DECREF(digest_id);
            Py_DECREF(identifier);
            Py_DECREF(element);
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

