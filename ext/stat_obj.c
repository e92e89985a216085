/* SPDX-License-Identifier: MIT */
/* stat_obj: the `stat` command's runs, measured in C, rendered in C. */
#include "stat_obj.h"

#include <errno.h>
#include <pthread.h>

#include "format/fmt_stat.h"
#include "model/alloc.h"
#include "model/buf.h"
#include "model/error.h"
#include "record/counters.h"
#include "record/runcmd.h"

/* runcmd changes signal dispositions process-wide: one series at a time
 * (threads of a free-threaded Python included) */
static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;

static PyObject *text_of(const pyro_buf_t *b)
{
    return PyUnicode_DecodeUTF8(b->data ? b->data : "", (Py_ssize_t)b->len, "replace");
}

/* The runs, with the GIL released. Stops after a run whose exec failed or
 * that a signal to this process interrupted. Returns the number of runs
 * done (the last one may be the failed exec), or a negative pyro_err_t. */
static int run_series(char **argv, uint32_t nruns, pyro_runstat_t *runs,
                      pyro_runcmd_result_t *first, pyro_runcmd_result_t *last)
{
    int rc = 0;
    pthread_mutex_lock(&one_at_a_time);
    for (uint32_t i = 0; i < nruns; i++) {
        pyro_runcmd_result_t *res = i == 0 ? first : last;
        int err = pyro_runcmd(argv, (1u << PYRO_EV_COUNT) - 1, res);
        if (err < 0) {
            rc = err;
            break;
        }
        runs[i] = res->run;
        rc = (int)i + 1;
        if (res->exec_errno || res->interrupted)
            break;
    }
    pthread_mutex_unlock(&one_at_a_time);
    return rc;
}

static PyObject *stat_(PyObject *self, PyObject *args, PyObject *kwds)
{
    (void)self;
    static char *kwlist[] = {"command", "runs", NULL};
    PyObject *command, *seq = NULL, *result = NULL;
    unsigned int nruns = 1;
    char **argv = NULL;
    pyro_runstat_t *runs = NULL;
    pyro_runcmd_result_t *res = NULL;
    pyro_buf_t table, json;
    pyro_buf_init(&table);
    pyro_buf_init(&json);
    Py_ssize_t argc = 0;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|I:stat", kwlist, &command, &nruns))
        return NULL;
    if (nruns < 1 || nruns > PYRO_STAT_RUNS_MAX) {
        PyErr_Format(PyExc_ValueError, "runs must be 1 to %d", PYRO_STAT_RUNS_MAX);
        return NULL;
    }
    seq = PySequence_Fast(command, "command must be a sequence of str");
    if (!seq)
        return NULL;
    argc = PySequence_Fast_GET_SIZE(seq);
    if (argc < 1) {
        PyErr_SetString(PyExc_ValueError, "command is empty");
        goto cleanup;
    }
    argv = pyro_calloc((size_t)argc + 1, sizeof *argv);
    runs = pyro_calloc(nruns, sizeof *runs);
    res = pyro_calloc(2, sizeof *res);
    if (!argv || !runs || !res) {
        PyErr_NoMemory();
        goto cleanup;
    }
    for (Py_ssize_t i = 0; i < argc; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        /* the file system encoding, as os.execvp would encode it */
        PyObject *bytes = NULL;
        if (!PyUnicode_FSConverter(item, &bytes))
            goto cleanup;
        argv[i] = pyro_strndup(PyBytes_AS_STRING(bytes), (size_t)PyBytes_GET_SIZE(bytes));
        Py_DECREF(bytes);
        if (!argv[i]) {
            PyErr_NoMemory();
            goto cleanup;
        }
        if (i == 0 && !*argv[0]) {
            PyErr_SetString(PyExc_ValueError, "the command's name is empty");
            goto cleanup;
        }
    }

    int done, saved_errno;
    Py_BEGIN_ALLOW_THREADS
    errno = 0;
    done = run_series(argv, nruns, runs, &res[0], &res[1]);
    saved_errno = errno ? errno : EIO;
    Py_END_ALLOW_THREADS
    if (done < 0) {
        errno = saved_errno;
        if (done == PYRO_ENOMEM)
            PyErr_NoMemory();
        else
            PyErr_SetFromErrno(PyExc_OSError);
        goto cleanup;
    }
    const pyro_runcmd_result_t *final = done > 1 ? &res[1] : &res[0];
    if (final->exec_errno) {
        result = Py_BuildValue("(issN)", final->run.status, "", "",
                               PyUnicode_DecodeFSDefault(final->message));
        goto cleanup;
    }
    pyro_evdesc_t events[PYRO_EV_COUNT];
    pyro_counters_describe((1u << PYRO_EV_COUNT) - 1, res[0].counter_err, res[0].counter_user_only,
                           pyro_counters_paranoid(), events);
    pyro_stat_report_t report = {(const char *const *)argv,
                                 (uint32_t)argc,
                                 runs,
                                 (uint32_t)done,
                                 nruns,
                                 events,
                                 PYRO_EV_COUNT,
                                 final->interrupted};
    int rc = pyro_render_stat_table(&report, &table);
    if (rc == PYRO_OK)
        rc = pyro_render_stat_json(&report, &json);
    if (rc < 0) {
        PyErr_SetString(PyExc_MemoryError, pyro_strerror(rc));
        goto cleanup;
    }
    PyObject *t = text_of(&table), *j = t ? text_of(&json) : NULL;
    if (t && j)
        result = Py_BuildValue("(iOOO)", pyro_stat_status(&report), t, j, Py_None);
    Py_XDECREF(t);
    Py_XDECREF(j);

cleanup:
    if (argv)
        for (Py_ssize_t i = 0; i < argc; i++)
            pyro_free(argv[i]);
    pyro_free(argv);
    pyro_free(runs);
    pyro_free(res);
    pyro_buf_free(&table);
    pyro_buf_free(&json);
    Py_XDECREF(seq);
    return result;
}

static PyMethodDef stat_methods[] = {
    {"stat", (PyCFunction)(void (*)(void))stat_, METH_VARARGS | METH_KEYWORDS,
     "stat(command, runs=1)\n--\n\n"
     "Run `command` (a list of str; argv[0] searched in PATH) `runs` times and measure each\n"
     "run: wall clock, rusage, perf counters. Returns (status, table, json, error): the exit\n"
     "status that sums up the runs (the first that was not 0, else 0; 127/126 when the\n"
     "command could not be run, then `error` is the one line to print and the texts are\n"
     "empty), the terminal table and the JSON document. A SIGINT, SIGTERM, SIGHUP or\n"
     "SIGQUIT sent to this process is passed on to the command and stops the series."},
    {NULL, NULL, 0, NULL},
};

int pyro_stat_init(PyObject *m)
{
    if (PyModule_AddFunctions(m, stat_methods) < 0 ||
        PyModule_AddIntConstant(m, "STAT_RUNS_MAX", PYRO_STAT_RUNS_MAX) < 0)
        return -1;
    PyObject *names = PyTuple_New(PYRO_EV_COUNT);
    if (!names)
        return -1;
    for (int e = 0; e < PYRO_EV_COUNT; e++) {
        PyObject *s = PyUnicode_FromString(pyro_event_info((pyro_event_t)e)->name);
        if (!s) {
            Py_DECREF(names);
            return -1;
        }
        PyTuple_SET_ITEM(names, e, s);
    }
    int rc = PyModule_AddObjectRef(m, "STAT_EVENTS", names);
    Py_DECREF(names);
    return rc;
}
