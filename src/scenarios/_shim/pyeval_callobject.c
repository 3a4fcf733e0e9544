/*
 * PyEval_CallObject for Python 3.13 and later.
 *
 * durable-rules 2.0.28 (its last release) calls PyEval_CallObject, which Python 3.13
 * removed, so its C engine fails to import there ("undefined symbol:
 * PyEval_CallObject"). This defines the function as it was: a call without keyword
 * arguments. scenarios/engine.py loads this file with RTLD_GLOBAL before durable-rules,
 * and only on 3.13 and later; setup.py builds it only there.
 *
 * It is built as an extension module so that setuptools compiles it with the same
 * compiler and flags as any other, and PyInit__pyeval only makes it a valid one: it is
 * loaded with ctypes, never imported.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

PyObject *PyEval_CallObject(PyObject *c, PyObject *a) { return PyObject_CallObject(c, a); }

static struct PyModuleDef pyeval_module = {
    PyModuleDef_HEAD_INIT, "_pyeval", "PyEval_CallObject for durable-rules on Python 3.13+.", -1, NULL,
};

PyMODINIT_FUNC PyInit__pyeval(void) { return PyModule_Create(&pyeval_module); }
