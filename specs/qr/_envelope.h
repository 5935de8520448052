/* The QrResponse envelope of the QR profile (specs/qr-presentation.md §3.1), read from an inflated message for
 * specs/qr/_scan.c:
 *
 *     ["resp", {"v": 1, "m": 1 / 2, "f": "mdoc" / "sd-jwt", "d": bstr / tstr, ? "n": bstr, ? "t": uint}]
 *
 * envelope_read answers only for the plain form of a well-formed response, the one the profile's encoders write:
 * definite lengths, shortest heads, no tags, only the six keys (each at most once), an ASCII "d" text, and every
 * rule of QrResponse._from_value met (v = 1; m 1 or 2; f and d of one kind; a two-way answer without n and t; a
 * one-way answer with a 16..64-byte n and a t up to 9999-12-31). Anything else, well-formed or not, returns -1
 * and the Python decoder (specs.cbor.decode, then QrResponse._from_value) decides and words the error.
 */
#ifndef MOBILEID_QR_ENVELOPE_H
#define MOBILEID_QR_ENVELOPE_H

#include <stdint.h>
#include <string.h>

#define ENVELOPE_MIN_NONCE 16
#define ENVELOPE_MAX_NONCE 64
#define ENVELOPE_MAX_TIME 253402300799ULL /* 9999-12-31T23:59:59Z, presentation._MAX_TIME */

typedef struct {
    int mode;   /* 1 two-way, 2 one-way */
    int sd_jwt; /* 0: "mdoc" (d a bstr), 1: "sd-jwt" (d an ASCII tstr) */
    const unsigned char *data;
    Py_ssize_t data_length;
    const unsigned char *nonce; /* NULL for a two-way answer */
    Py_ssize_t nonce_length;
    uint64_t time; /* one-way only */
} Envelope;

/* One data item's head at p[*at] in its shortest form (RFC 8949 §4.2.1): its major type, or -1. */
static int envelope_head(const unsigned char *p, Py_ssize_t end, Py_ssize_t *at, uint64_t *argument) {
    if (*at >= end) {
        return -1;
    }
    unsigned char initial = p[(*at)++];
    unsigned int info = initial & 31;
    if (info < 24) {
        *argument = info;
        return initial >> 5;
    }
    int size = info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4 : info == 27 ? 8 : 0;
    if (size == 0 || end - *at < size) {
        return -1; /* indefinite lengths, reserved values, a truncated head */
    }
    uint64_t value = 0;
    for (int i = 0; i < size; i++) {
        value = value << 8 | p[*at + i];
    }
    *at += size;
    uint64_t least = size == 1 ? 24 : size == 2 ? 0x100 : size == 4 ? 0x10000 : 0x100000000ULL;
    if (value < least) {
        return -1; /* a longer head than needed: valid CBOR, but not the plain form */
    }
    *argument = value;
    return initial >> 5;
}

/* A byte or text string's content: its major type (2 or 3) with *content and *length set, or -1. */
static int envelope_string(const unsigned char *p, Py_ssize_t end, Py_ssize_t *at, const unsigned char **content,
                           Py_ssize_t *length) {
    uint64_t size;
    int major = envelope_head(p, end, at, &size);
    if ((major != 2 && major != 3) || size > (uint64_t)(end - *at)) {
        return -1;
    }
    *content = p + *at;
    *length = (Py_ssize_t)size;
    *at += (Py_ssize_t)size;
    return major;
}

/* Fills ``e`` from the message p[0..end): 0, or -1 for anything but the plain form of a valid response. */
static int envelope_read(const unsigned char *p, Py_ssize_t end, Envelope *e) {
    static const unsigned char head[] = {0x82, 0x64, 'r', 'e', 's', 'p'};
    if (end < (Py_ssize_t)sizeof head || memcmp(p, head, sizeof head) != 0) {
        return -1;
    }
    Py_ssize_t at = sizeof head;
    uint64_t count, value;
    if (envelope_head(p, end, &at, &count) != 5 || count < 4 || count > 6) {
        return -1;
    }
    unsigned int seen = 0;
    int data_major = 0;
    memset(e, 0, sizeof *e);
    for (uint64_t i = 0; i < count; i++) {
        if (end - at < 2 || p[at] != 0x61) {
            return -1;
        }
        const char *key = strchr("vmfdnt", p[at + 1]);
        if (p[at + 1] == 0 || key == NULL || seen & (1u << (key - "vmfdnt"))) {
            return -1; /* another key, or one twice */
        }
        seen |= 1u << (key - "vmfdnt");
        at += 2;
        const unsigned char *content;
        Py_ssize_t length;
        switch (*key) {
        case 'v':
            if (envelope_head(p, end, &at, &value) != 0 || value != 1) {
                return -1;
            }
            break;
        case 'm':
            if (envelope_head(p, end, &at, &value) != 0 || (value != 1 && value != 2)) {
                return -1;
            }
            e->mode = (int)value;
            break;
        case 'f':
            if (envelope_string(p, end, &at, &content, &length) != 3) {
                return -1;
            }
            if (length == 4 && memcmp(content, "mdoc", 4) == 0) {
                e->sd_jwt = 0;
            } else if (length == 6 && memcmp(content, "sd-jwt", 6) == 0) {
                e->sd_jwt = 1;
            } else {
                return -1;
            }
            break;
        case 'd':
            data_major = envelope_string(p, end, &at, &e->data, &e->data_length);
            if (data_major < 0) {
                return -1;
            }
            if (data_major == 3) {
                for (Py_ssize_t j = 0; j < e->data_length; j++) {
                    if (e->data[j] & 0x80) {
                        return -1; /* UTF-8 beyond ASCII: the Python decoder judges it */
                    }
                }
            }
            break;
        case 'n':
            if (envelope_string(p, end, &at, &e->nonce, &e->nonce_length) != 2 ||
                e->nonce_length < ENVELOPE_MIN_NONCE || e->nonce_length > ENVELOPE_MAX_NONCE) {
                return -1;
            }
            break;
        default: /* 't' */
            if (envelope_head(p, end, &at, &e->time) != 0 || e->time > ENVELOPE_MAX_TIME) {
                return -1;
            }
        }
    }
    if (at != end || (seen & 0xF) != 0xF || data_major != (e->sd_jwt ? 3 : 2)) {
        return -1; /* trailing bytes, a missing v, m, f or d, or f and d of different kinds */
    }
    if (e->mode == 1 ? (seen & 0x30) != 0 : (seen & 0x30) != 0x30) {
        return -1; /* two-way with n or t, or one-way without both */
    }
    return 0;
}

#endif
