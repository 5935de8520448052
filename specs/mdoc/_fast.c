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
 * The parts: _message.h reads the structure, _value.h decodes every embedded item (IssuerSignedItem, MSO,
 * DeviceNameSpaces) as specs.cbor.codec.decode would, with the limits the Python path uses (the rules of
 * specs/cbor/_strict.c), _mso.h fills the MSO's typed objects, _document.h checks the digests and builds the
 * bytes. The digests are taken over the tag-24 items as received; the to-be-signed bytes are built around the
 * received bytes (RFC 9052 §4.4, §9.1.3.4), never over a re-encoding.
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
static PyObject *label_d, *digest_name;
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

#include "_message.h"

/* ---- building (NULL: defer, or an exception to clear and defer) ------------------------------------- */

static PyObject *text(const unsigned char *s, Py_ssize_t n) {
    return PyUnicode_DecodeUTF8((const char *)s, n, "strict");
}

#include "_value.h"

/* EncodedCBOR.decode() of the received bytes ``s`` (MDOC_TAGS, the default depth); NULL: defer. */
static PyObject *decode_embedded(const unsigned char *s, Py_ssize_t n) { return value_decode(s, n); }

#include "_mso.h"
#include "_document.h"

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
