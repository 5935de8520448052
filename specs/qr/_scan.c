/* The common scan of the QR profile in C: the text of one single code to its QrResponse, in one pass.
 *
 * read(text) returns what specs.qr.scan's Python code gives for the common scan, one line ``MID2:<base45>``
 * holding a wallet's answer (specs/qr-presentation.md §3, §5): ``(decode_qr_message(single_code(text)),
 * one_way_transcript(n, t))`` for a one-way answer, ``(decode_qr_message(single_code(text)), None)`` for a two-way
 * one; or None whenever the text is anything else or anything in it is unusual or wrong. The Python code (the long
 * way: specs.qr.frames, then specs.qr.presentation) then decides and words the error: this module never refuses
 * and never accepts what the Python code would refuse, it only answers early for what it is sure of.
 *
 * The steps are those of specs.qr.frames.single_code and decode_qr_message, without a Python object between them:
 * the prefix of a version given to setup(); base45 (_b45.h); the zlib header, its FDICT flag and the version's
 * DICTID (RFC 1950 §2.2); inflating with the version's preset dictionary to at most MAX_MESSAGE bytes, the stream
 * ending exactly at the end of the text's bytes, its Adler-32 checked by zlib; the envelope (_envelope.h); the
 * objects (_objects.h), the one-way transcript's encoding as presentation.one_way_transcript writes it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <zlib.h>

#include "_b45.h"
#include "_envelope.h"
#include "_objects.h"

#define MAX_TEXT 8192       /* specs.qr.frames._MAX_TEXT */
#define MAX_MESSAGE 65536   /* specs.qr.frames.MAX_MESSAGE, and decode_qr_message's max_size */

/* One inflater and its buffers for the process, used with the GIL held. ``busy`` covers a call made while
 * another is under way (a finaliser run while this one builds its objects): that call defers. */
static z_stream inflater;
static int inflater_ready, busy;
static unsigned char compressed[MAX_TEXT / 3 * 2 + 1];
static unsigned char message[MAX_MESSAGE + 1];
static PyObject *MDOC, *SD_JWT;

/* The dictionary and DICTID of the version whose prefix is text[0..length), or 0 when none is. */
static int find_version(PyObject *versions, const unsigned char *text, Py_ssize_t length, const char **dictionary,
                        Py_ssize_t *dictionary_length, unsigned long *dictid) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(versions); i++) {
        PyObject *entry = PyTuple_GET_ITEM(versions, i);
        if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 3) {
            return 0;
        }
        PyObject *prefix = PyTuple_GET_ITEM(entry, 0), *data = PyTuple_GET_ITEM(entry, 1);
        PyObject *id = PyTuple_GET_ITEM(entry, 2);
        if (!PyUnicode_CheckExact(prefix) || !PyUnicode_IS_ASCII(prefix) || !PyBytes_CheckExact(data) ||
            !PyLong_CheckExact(id)) {
            return 0;
        }
        if (PyUnicode_GET_LENGTH(prefix) == length && memcmp(PyUnicode_1BYTE_DATA(prefix), text, length) == 0) {
            *dictid = PyLong_AsUnsignedLong(id);
            if (*dictid == (unsigned long)-1 && PyErr_Occurred()) {
                PyErr_Clear();
                return 0;
            }
            *dictionary = PyBytes_AS_STRING(data);
            *dictionary_length = PyBytes_GET_SIZE(data);
            return 1;
        }
    }
    return 0;
}

/* Inflates compressed[0..size) into ``message``: its length, or -1 (frames._check_dictionary and _inflate). */
static Py_ssize_t inflate_message(Py_ssize_t size, const char *dictionary, Py_ssize_t dictionary_length,
                                  unsigned long dictid) {
    const unsigned char *c = compressed;
    if (size < 6 || (c[0] & 0x0F) != 8 || c[0] >> 4 > 7 || (c[0] << 8 | c[1]) % 31 != 0 || !(c[1] & 0x20)) {
        return -1; /* not zlib, or no preset dictionary */
    }
    if (((unsigned long)c[2] << 24 | (unsigned long)c[3] << 16 | (unsigned long)c[4] << 8 | c[5]) != dictid) {
        return -1; /* another dictionary */
    }
    if (!inflater_ready) {
        memset(&inflater, 0, sizeof inflater);
        if (inflateInit2(&inflater, 15) != Z_OK) {
            return -1;
        }
        inflater_ready = 1;
    } else if (inflateReset(&inflater) != Z_OK) {
        return -1;
    }
    inflater.next_in = compressed;
    inflater.avail_in = (uInt)size;
    inflater.next_out = message;
    inflater.avail_out = MAX_MESSAGE + 1;
    int status = inflate(&inflater, Z_FINISH);
    if (status == Z_NEED_DICT) {
        if (inflateSetDictionary(&inflater, (const Bytef *)dictionary, (uInt)dictionary_length) != Z_OK) {
            return -1;
        }
        status = inflate(&inflater, Z_FINISH);
    }
    if (status != Z_STREAM_END || inflater.avail_in != 0 || inflater.total_out > MAX_MESSAGE) {
        return -1; /* corrupt, truncated, trailing data, too large */
    }
    return (Py_ssize_t)inflater.total_out;
}

/* What setup() was given: the versions, the one-way transcript's head and handover id, the two classes' slots. */
static PyObject *VERSIONS, *ONE_WAY_HEAD, *HANDOVER_ID;
static Slots RESPONSE, TRANSCRIPT;

/* The one-way SessionTranscript's encoding, ONE_WAY_HEAD (everything before n) + bstr(n) + uint(t), as
 * presentation.one_way_transcript writes it (preferred serialization: the shortest heads). */
static PyObject *one_way_encoding(const Envelope *e) {
    Py_ssize_t head = PyBytes_GET_SIZE(ONE_WAY_HEAD);
    unsigned char buffer[256 + 2 + ENVELOPE_MAX_NONCE + 9], *o = buffer;
    if (head > 256) {
        return NULL;
    }
    memcpy(o, PyBytes_AS_STRING(ONE_WAY_HEAD), (size_t)head);
    o += head;
    if (e->nonce_length < 24) { /* n is 16..64 bytes */
        *o++ = (unsigned char)(0x40 | e->nonce_length);
    } else {
        *o++ = 0x58;
        *o++ = (unsigned char)e->nonce_length;
    }
    memcpy(o, e->nonce, (size_t)e->nonce_length);
    o += e->nonce_length;
    uint64_t t = e->time;
    int size = t < 24 ? 0 : t < 0x100 ? 1 : t < 0x10000 ? 2 : t < 0x100000000ULL ? 4 : 8;
    *o++ = (unsigned char)(size == 0 ? t : size == 1 ? 24 : size == 2 ? 25 : size == 4 ? 26 : 27);
    for (int i = size - 1; i >= 0; i--) {
        *o++ = (unsigned char)(t >> (8 * i));
    }
    return PyBytes_FromStringAndSize((const char *)buffer, o - buffer);
}

/* (QrResponse(mode, format, data, nonce, time), the one-way SessionTranscript or None), as specs.qr.scan makes
 * them: SessionTranscript(None, None, ["MobileIdQR", 2, n, t], encoding), n the response's own nonce object. */
static PyObject *answer(const Envelope *e) {
    PyObject *data = e->sd_jwt ? PyUnicode_DecodeASCII((const char *)e->data, e->data_length, NULL)
                               : PyBytes_FromStringAndSize((const char *)e->data, e->data_length);
    PyObject *mode = PyLong_FromLong(e->mode), *format = e->sd_jwt ? SD_JWT : MDOC;
    if (e->mode == 1) {
        if (data == NULL || mode == NULL) {
            Py_XDECREF(data);
            Py_XDECREF(mode);
            return NULL;
        }
        PyObject *fields[] = {mode, Py_NewRef(format), data, Py_NewRef(Py_None), Py_NewRef(Py_None)};
        PyObject *response = instance(&RESPONSE, fields);
        return response == NULL ? NULL : Py_BuildValue("(NO)", response, Py_None);
    }
    PyObject *nonce = PyBytes_FromStringAndSize((const char *)e->nonce, e->nonce_length);
    PyObject *time = utc_datetime(e->time), *seconds = PyLong_FromUnsignedLongLong(e->time);
    PyObject *encoding = one_way_encoding(e), *handover = PyList_New(4);
    if (data == NULL || mode == NULL || nonce == NULL || time == NULL || seconds == NULL || encoding == NULL ||
        handover == NULL) {
        Py_XDECREF(data);
        Py_XDECREF(mode);
        Py_XDECREF(nonce);
        Py_XDECREF(time);
        Py_XDECREF(seconds);
        Py_XDECREF(encoding);
        Py_XDECREF(handover);
        return NULL;
    }
    PyList_SET_ITEM(handover, 0, Py_NewRef(HANDOVER_ID));
    PyList_SET_ITEM(handover, 1, PyLong_FromLong(2)); /* a small int: cached, cannot fail */
    PyList_SET_ITEM(handover, 2, Py_NewRef(nonce));
    PyList_SET_ITEM(handover, 3, seconds);
    PyObject *response_fields[] = {mode, Py_NewRef(format), data, nonce, time};
    PyObject *response = instance(&RESPONSE, response_fields);
    PyObject *transcript_fields[] = {Py_NewRef(Py_None), Py_NewRef(Py_None), handover, encoding};
    PyObject *transcript = instance(&TRANSCRIPT, transcript_fields);
    if (response == NULL || transcript == NULL) {
        Py_XDECREF(response);
        Py_XDECREF(transcript);
        return NULL;
    }
    return Py_BuildValue("(NN)", response, transcript);
}

static PyObject *scan_setup(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *versions, *head, *handover_id, *response, *response_fields, *transcript, *transcript_fields;
    if (!PyArg_ParseTuple(args, "O!SUOO!OO!:setup", &PyTuple_Type, &versions, &head, &handover_id, &response,
                          &PyTuple_Type, &response_fields, &transcript, &PyTuple_Type, &transcript_fields)) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(response_fields) != 5 || PyTuple_GET_SIZE(transcript_fields) != 4) {
        PyErr_SetString(PyExc_TypeError, "setup: QrResponse has 5 fields and SessionTranscript 4");
        return NULL;
    }
    if (slots_of(response, response_fields, &RESPONSE) < 0 || slots_of(transcript, transcript_fields, &TRANSCRIPT) < 0) {
        return NULL;
    }
    Py_XSETREF(VERSIONS, Py_NewRef(versions));
    Py_XSETREF(ONE_WAY_HEAD, Py_NewRef(head));
    Py_XSETREF(HANDOVER_ID, Py_NewRef(handover_id));
    Py_RETURN_NONE;
}

static PyObject *scan_read(PyObject *module, PyObject *text) {
    (void)module;
    if (VERSIONS == NULL || !PyUnicode_CheckExact(text)) {
        Py_RETURN_NONE;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) {
        return NULL;
    }
#endif
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (!PyUnicode_IS_ASCII(text) || length == 0 || length > MAX_TEXT || busy) {
        Py_RETURN_NONE;
    }
    const unsigned char *s = PyUnicode_1BYTE_DATA(text);
    /* str.strip() would take a trailing space (a base45 character) off; a leading one fails the prefix, any other
     * white space or line break fails base45 */
    const unsigned char *colon = memchr(s, ':', (size_t)length);
    if (s[length - 1] == ' ' || colon == NULL) {
        Py_RETURN_NONE;
    }
    const char *dictionary;
    Py_ssize_t dictionary_length;
    unsigned long dictid;
    if (!find_version(VERSIONS, s, colon - s, &dictionary, &dictionary_length, &dictid)) {
        Py_RETURN_NONE;
    }
    busy = 1;
    Envelope e;
    PyObject *out = Py_None;
    Py_ssize_t size = b45_decode_into(colon + 1, length - (colon + 1 - s), compressed);
    if (size >= 0) {
        Py_ssize_t inflated = inflate_message(size, dictionary, dictionary_length, dictid);
        if (inflated >= 0 && envelope_read(message, inflated, &e) == 0) {
            out = answer(&e);
        }
    }
    busy = 0;
    if (out == NULL) {
        PyErr_Clear(); /* out of memory: the Python code meets it again and raises */
        out = Py_None;
    }
    if (out == Py_None) {
        Py_RETURN_NONE;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"setup", scan_setup, METH_VARARGS,
     "setup(versions, one_way_head, handover_id, QrResponse, its fields, SessionTranscript, its fields)"},
    {"read", scan_read, METH_O, "read(text): (QrResponse, one-way SessionTranscript or None), or None to defer"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "specs.qr._scan",
                                    "The common QR scan in C (see specs/qr/scan.py).", -1, methods};

PyMODINIT_FUNC PyInit__scan(void) {
    b45_init();
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return NULL;
    }
    MDOC = PyUnicode_InternFromString("mdoc");
    SD_JWT = PyUnicode_InternFromString("sd-jwt");
    if (MDOC == NULL || SD_JWT == NULL) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "MAX_TEXT", MAX_TEXT) < 0 ||
        PyModule_AddIntConstant(m, "MAX_MESSAGE", MAX_MESSAGE) < 0 ||
        PyModule_AddIntConstant(m, "MIN_NONCE", ENVELOPE_MIN_NONCE) < 0 ||
        PyModule_AddIntConstant(m, "MAX_NONCE", ENVELOPE_MAX_NONCE) < 0 ||
        PyModule_AddObject(m, "MAX_TIME", PyLong_FromUnsignedLongLong(ENVELOPE_MAX_TIME)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
