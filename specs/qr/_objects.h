/* The Python objects specs/qr/_scan.c answers with, made as specs.qr.scan's Python code makes them:
 *
 * - a frozen, slotted dataclass instance (QrResponse, SessionTranscript) made as specs.slots.builder makes it:
 *   ``object.__new__(cls)`` (the type's tp_alloc, for a class that is not abstract), then each field's slot set
 *   in order through its member descriptor, found once by name (``slots_of``);
 * - ``datetime.fromtimestamp(t, timezone.utc)`` for 0 <= t <= 9999-12-31T23:59:59Z, from the proleptic Gregorian
 *   calendar's civil date of day t // 86400 (the days-from-civil inverse; no time zone data involved).
 */
#ifndef MOBILEID_QR_OBJECTS_H
#define MOBILEID_QR_OBJECTS_H

#include <datetime.h>
#include <stdint.h>

#define MAX_FIELDS 8

typedef struct {
    PyTypeObject *cls;
    Py_ssize_t count;
    PyObject *descriptors[MAX_FIELDS]; /* each field's slot (member descriptor), in order */
} Slots;

/* Fills ``slots`` for ``cls`` and its field ``names`` (a tuple, in order): 0, or -1 with TypeError set. */
static int slots_of(PyObject *cls, PyObject *names, Slots *slots) {
    if (!PyType_Check(cls) || !PyTuple_CheckExact(names) || PyTuple_GET_SIZE(names) > MAX_FIELDS ||
        ((PyTypeObject *)cls)->tp_flags & Py_TPFLAGS_IS_ABSTRACT) {
        PyErr_SetString(PyExc_TypeError, "slots_of: a concrete class and a tuple of at most 8 field names");
        return -1;
    }
    PyObject *dict = ((PyTypeObject *)cls)->tp_dict;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        PyObject *descriptor = PyDict_GetItemWithError(dict, PyTuple_GET_ITEM(names, i));
        if (descriptor == NULL || !Py_IS_TYPE(descriptor, &PyMemberDescr_Type)) {
            if (!PyErr_Occurred()) {
                PyErr_Format(PyExc_TypeError, "%R is not a slot of %R", PyTuple_GET_ITEM(names, i), cls);
            }
            return -1;
        }
        Py_INCREF(descriptor);
        Py_XSETREF(slots->descriptors[i], descriptor);
    }
    Py_INCREF(cls);
    Py_XSETREF(slots->cls, (PyTypeObject *)cls);
    slots->count = PyTuple_GET_SIZE(names);
    return 0;
}

/* An instance of slots->cls with its fields set to ``values`` through their descriptors, as specs.slots.builder
 * sets them (the references in ``values`` are released, all of them, even on failure). */
static PyObject *instance(const Slots *slots, PyObject **values) {
    PyObject *object = slots->cls->tp_alloc(slots->cls, 0);
    for (Py_ssize_t i = 0; i < slots->count; i++) {
        PyObject *descriptor = slots->descriptors[i];
        if (object != NULL && Py_TYPE(descriptor)->tp_descr_set(descriptor, object, values[i]) < 0) {
            Py_CLEAR(object);
        }
        Py_DECREF(values[i]);
    }
    return object;
}

/* datetime.fromtimestamp(t, timezone.utc) for 0 <= t <= 253402300799. */
static PyObject *utc_datetime(uint64_t t) {
    int64_t z = (int64_t)(t / 86400) + 719468; /* days since 0000-03-01 */
    int64_t era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int day = (int)(doy - (153 * mp + 2) / 5 + 1), month = (int)(mp < 10 ? mp + 3 : mp - 9);
    int year = (int)(yoe + era * 400 + (month <= 2));
    int seconds = (int)(t % 86400);
    return PyDateTimeAPI->DateTime_FromDateAndTime(year, month, day, seconds / 3600, seconds / 60 % 60, seconds % 60,
                                                   0, PyDateTime_TimeZone_UTC, PyDateTimeAPI->DateTimeType);
}

#endif
