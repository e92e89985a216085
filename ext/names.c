/* SPDX-License-Identifier: MIT */
/* names: cProfile-compatible labels (Modules/_lsprof.c normalizeUserObj). */
#include "names.h"

#include <string.h>

#include "model/error.h"

/* Intern a Python str as UTF-8 (lone surrogates are escaped). */
static int intern_str(pyro_profile_t *cat, PyObject *s, uint32_t *id)
{
    if (!s || !PyUnicode_Check(s))
        return pyro_profile_str(cat, "?", 1, id);
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(s, &n);
    if (u)
        return pyro_profile_str(cat, u, (size_t)n, id);
    PyErr_Clear();
    PyObject *b = PyUnicode_AsEncodedString(s, "utf-8", "backslashreplace");
    if (!b) {
        PyErr_Clear();
        return pyro_profile_str(cat, "?", 1, id);
    }
    int rc = pyro_profile_str(cat, PyBytes_AS_STRING(b), (size_t)PyBytes_GET_SIZE(b), id);
    Py_DECREF(b);
    return rc;
}

/* The label of a bound builtin `fn` (new reference), as _lsprof builds it. */
static PyObject *cfunc_label(PyCFunctionObject *fn)
{
    PyObject *self = fn->m_self;
    const char *ml_name = fn->m_ml->ml_name;
    if (self == NULL) {
        PyObject *mod = fn->m_module, *modname = NULL;
        if (mod && PyUnicode_Check(mod)) {
            modname = Py_NewRef(mod);
        } else if (mod && PyModule_Check(mod)) {
            modname = PyModule_GetNameObject(mod);
            if (!modname)
                PyErr_Clear();
        }
        if (modname) {
            PyObject *res = NULL;
            if (PyUnicode_CompareWithASCIIString(modname, "builtins") != 0)
                res = PyUnicode_FromFormat("<%U.%s>", modname, ml_name);
            Py_DECREF(modname);
            if (res)
                return res;
        }
        return PyUnicode_FromFormat("<%s>", ml_name);
    }
    PyObject *name = PyUnicode_FromString(ml_name);
    if (name) {
        PyObject *mo = _PyType_Lookup(Py_TYPE(self), name);
        Py_XINCREF(mo);
        Py_DECREF(name);
        if (mo) {
            PyObject *res = PyObject_Repr(mo);
            Py_DECREF(mo);
            if (res)
                return res;
        }
    }
    PyErr_Clear();
    PyObject *modname = fn->m_module;
    if (modname && PyUnicode_Check(modname))
        return PyUnicode_FromFormat("<built-in method %S.%s>", modname, ml_name);
    return PyUnicode_FromFormat("<built-in method %s>", ml_name);
}

/* For a method descriptor called on `self`: what binding it would give. */
static PyObject *descr_label(PyMethodDescrObject *d, PyObject *self)
{
    PyObject *bound = Py_TYPE(d)->tp_descr_get((PyObject *)d, self, (PyObject *)Py_TYPE(self));
    if (!bound || !PyCFunction_Check(bound)) {
        Py_XDECREF(bound);
        PyErr_Clear();
        return PyUnicode_FromFormat("<method '%s' of '%s' objects>", d->d_method->ml_name,
                                    PyDescr_TYPE(d)->tp_name);
    }
    PyObject *res = cfunc_label((PyCFunctionObject *)bound);
    Py_DECREF(bound);
    return res;
}

int pyro_names_resolve(pyro_profile_t *cat, const pyro_keyobj_t *obj, uint32_t *func)
{
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    int rc;
    pyro_func_t f = {0};
    if (obj->kind == PYRO_OBJ_CODE) {
        PyCodeObject *code = (PyCodeObject *)obj->a;
        if ((rc = intern_str(cat, code->co_name, &f.name)) ||
            (rc = intern_str(cat, pyro_code_qualname(code), &f.qualname)) ||
            (rc = intern_str(cat, code->co_filename, &f.file)))
            goto done;
        f.line = code->co_firstlineno > 0 ? (uint32_t)code->co_firstlineno : 0;
        f.kind = PYRO_FUNC_PYTHON;
    } else {
        PyObject *label = obj->kind == PYRO_OBJ_CFUNC
                              ? cfunc_label((PyCFunctionObject *)obj->a)
                              : descr_label((PyMethodDescrObject *)obj->a, obj->b);
        if (!label)
            PyErr_Clear();
        rc = intern_str(cat, label, &f.name);
        Py_XDECREF(label);
        if (rc || (rc = pyro_profile_str(cat, "~", 1, &f.file)))
            goto done;
        f.qualname = f.name;
        f.kind = PYRO_FUNC_NATIVE;
    }
    rc = pyro_profile_func(cat, &f, func);
done:
    PyErr_Restore(et, ev, tb);
    return rc;
}

PyObject *pyro_names_threading_active(void)
{
    /* sys.modules and the module's dict read directly: PyImport_GetModule
     * would call importlib for a module still being imported, which runs
     * Python code (inside a hook: the hook again, without end). */
    PyObject *modules = PyImport_GetModuleDict(); /* borrowed */
    PyObject *mod =
        modules && PyDict_Check(modules) ? PyDict_GetItemString(modules, "threading") : NULL;
    PyObject *dict = mod && PyModule_Check(mod) ? PyModule_GetDict(mod) : NULL;
    PyObject *active = dict ? PyDict_GetItemString(dict, "_active") : NULL;
    if (!active || !PyDict_Check(active))
        return NULL;
    Py_INCREF(active);
    return active;
}

PyObject *pyro_names_thread_in(PyObject *active, unsigned long long ident)
{
    PyObject *et, *ev, *tb, *res = NULL;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *key = PyLong_FromUnsignedLongLong(ident);
    PyObject *th = key ? PyDict_GetItemWithError(active, key) : NULL; /* borrowed */
    Py_XDECREF(key);
    /* the instance's own dict: no property or __getattr__ of a Thread
     * subclass runs */
    PyObject *d = th ? PyObject_GenericGetDict(th, NULL) : NULL;
    PyObject *name = d && PyDict_Check(d) ? PyDict_GetItemString(d, "_name") : NULL; /* borrowed */
    if (name && PyUnicode_Check(name)) {
        Py_INCREF(name);
        res = name;
    }
    Py_XDECREF(d);
    PyErr_Clear();
    PyErr_Restore(et, ev, tb);
    return res;
}
