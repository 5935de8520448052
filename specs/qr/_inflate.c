/* The common case of inflating a QR payload (specs.qr.frames._inflate) in C, with one zlib stream kept open.
 *
 * inflate(compressed, dictionary, limit) returns the bytes the Python code returns for a zlib stream
 * (RFC 1950) made with the preset ``dictionary``, or None whenever the stream is anything but plainly valid:
 * not bytes, no FDICT, a DICTID that is not the dictionary's, a DEFLATE error, a wrong Adler-32, more than
 * ``limit`` bytes inflated, the stream truncated or followed by trailing bytes. The caller then runs the
 * Python code, which decides and says what is wrong: this module never refuses and never accepts anything
 * the Python code would refuse, it only answers early for what it is sure of.
 *
 * Why: zlib.decompressobj allocates a stream and its 32 KB window on every call, the output buffer is
 * allocated at 32 KB and shrunk, and reading eof, unused_data and unconsumed_tail builds three objects; for a
 * 1 KB message that costs more than inflating. Here one stream is reset (inflateReset keeps its window) and
 * the output goes to one static buffer. Both are module state used only while the GIL is held, and every
 * call starts from inflateReset, so no call sees another's data.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <zlib.h>

#define MAX_LIMIT (64 * 1024) /* specs.qr.frames.MAX_MESSAGE */

static z_stream stream;
static int stream_ready;
static unsigned char output[MAX_LIMIT + 1]; /* one byte more than allowed: an overlong message fills it */

static PyObject *qr_inflate(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 3 || !PyBytes_CheckExact(args[0]) || !PyBytes_CheckExact(args[1]) || !PyLong_CheckExact(args[2])) {
        Py_RETURN_NONE;
    }
    long limit = PyLong_AsLong(args[2]);
    if (limit == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    Py_ssize_t in_size = PyBytes_GET_SIZE(args[0]), dict_size = PyBytes_GET_SIZE(args[1]);
    if (limit < 0 || limit > MAX_LIMIT || in_size > (Py_ssize_t)UINT_MAX || dict_size > (Py_ssize_t)UINT_MAX) {
        Py_RETURN_NONE;
    }
    if (!stream_ready) {
        memset(&stream, 0, sizeof stream);
        if (inflateInit2(&stream, 15) != Z_OK) { /* a zlib header, a window of up to 32 KB */
            Py_RETURN_NONE;
        }
        stream_ready = 1;
    } else if (inflateReset(&stream) != Z_OK) {
        Py_RETURN_NONE;
    }
    const Bytef *dictionary = (const Bytef *)PyBytes_AS_STRING(args[1]);
    stream.next_in = (Bytef *)PyBytes_AS_STRING(args[0]);
    stream.avail_in = (uInt)in_size;
    stream.next_out = output;
    stream.avail_out = (uInt)limit + 1;
    int status = inflate(&stream, Z_FINISH);
    if (status != Z_NEED_DICT || stream.adler != adler32(adler32(0L, Z_NULL, 0), dictionary, (uInt)dict_size)) {
        Py_RETURN_NONE; /* a stream without a preset dictionary, or with another one: Python says which */
    }
    if (inflateSetDictionary(&stream, dictionary, (uInt)dict_size) != Z_OK) {
        Py_RETURN_NONE;
    }
    status = inflate(&stream, Z_FINISH);
    /* Z_STREAM_END: the whole stream inflated and its Adler-32 checked; nothing may follow it, and a message
     * of more than limit bytes cannot end within limit + 1 bytes of output with room to spare. */
    if (status != Z_STREAM_END || stream.avail_in != 0 || stream.total_out > (uLong)limit) {
        Py_RETURN_NONE;
    }
    return PyBytes_FromStringAndSize((const char *)output, (Py_ssize_t)stream.total_out);
}

static PyMethodDef methods[] = {
    {"inflate", (PyCFunction)(void (*)(void))qr_inflate, METH_FASTCALL,
     "inflate(compressed, dictionary, limit): the message, or None when the Python code must decide"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "specs.qr._inflate",
                                    "Inflating a QR payload, the common case in C (see specs/qr/frames.py).", -1,
                                    methods};

PyMODINIT_FUNC PyInit__inflate(void) { return PyModule_Create(&module); }
