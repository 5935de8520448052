/* Base45 decoding (RFC 9285 §4.2), shared by specs/qr/_base45.c and specs/qr/_scan.c.
 *
 * b45_decode_into answers only for plainly valid base45: any character outside the alphabet, a length of 1 mod 3,
 * a triplet above 0xFFFF or a final pair above 0xFF makes it return -1, and its caller defers to the Python
 * decoder (specs/qr/base45.py), which refuses and words the error.
 */
#ifndef MOBILEID_QR_B45_H
#define MOBILEID_QR_B45_H

#include <string.h>

/* RFC 9285 §4: the 45 characters, in value order (the same string as specs.qr.base45.ALPHABET). */
static const char B45_ALPHABET[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
static unsigned char B45_VALUE[256]; /* character -> value 0..44, 0xFF for any other byte */

static void b45_init(void) {
    memset(B45_VALUE, 0xFF, sizeof B45_VALUE);
    for (unsigned char i = 0; B45_ALPHABET[i] != '\0'; i++) {
        B45_VALUE[(unsigned char)B45_ALPHABET[i]] = i;
    }
}

/* The decoded length of ``length`` characters (or -1 for a length of 1 mod 3). */
static Py_ssize_t b45_decoded_length(Py_ssize_t length) {
    return length % 3 == 1 ? -1 : length / 3 * 2 + (length % 3 ? 1 : 0);
}

/* Decodes ``length`` ASCII characters into ``out`` (b45_decoded_length bytes): its length, or -1 to defer. */
static Py_ssize_t b45_decode_into(const unsigned char *in, Py_ssize_t length, unsigned char *out) {
    Py_ssize_t size = b45_decoded_length(length);
    if (size < 0) {
        return -1;
    }
    Py_ssize_t triplets = length / 3;
    unsigned char *o = out;
    for (Py_ssize_t i = 0; i < triplets; i++, in += 3, o += 2) {
        unsigned int c = B45_VALUE[in[0]], d = B45_VALUE[in[1]], e = B45_VALUE[in[2]];
        if ((c | d | e) & 0x80) { /* a value is 0..44, an unknown character 0xFF */
            return -1;
        }
        unsigned int n = c + 45 * d + 2025 * e;
        if (n > 0xFFFF) {
            return -1;
        }
        o[0] = (unsigned char)(n >> 8);
        o[1] = (unsigned char)(n & 0xFF);
    }
    if (length % 3) {
        unsigned int c = B45_VALUE[in[0]], d = B45_VALUE[in[1]];
        if ((c | d) & 0x80 || c + 45 * d > 0xFF) {
            return -1;
        }
        o[0] = (unsigned char)(c + 45 * d);
    }
    return size;
}

#endif
