/* SPDX-License-Identifier: MIT */
/* measure_obj: the engine of @pyrometer.measure — `_core.Span` (one
 * measured call: wall and thread CPU clock, tracked heap and RSS, the
 * calling thread's counters, in steps for coroutines; record/meter.h) and
 * `_core.MeasureTable` (per-name summaries, model/measure.h), both rendered
 * by format/fmt_measure.h. */
#ifndef PYRO_MEASURE_OBJ_H
#define PYRO_MEASURE_OBJ_H

#include "compat.h"

/* Add Span, MeasureTable and MEASURE_EVENTS_DEFAULT (the events a measure
 * counts unless told: a bit mask over STAT_EVENTS) to module `m`. 0, or -1
 * with an exception set. */
int pyro_measure_init(PyObject *m);

#endif
