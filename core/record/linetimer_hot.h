/* SPDX-License-Identifier: MIT */
/* linetimer_hot: the per-event fast path of the line timer, inline so that
 * each hook of the extension compiles it in. The structures here are private
 * to the timer: only linetimer.c and these inline functions touch them.
 *
 * Layout choices (a line event costs a few ns, so they matter):
 *   - stack[0] is a sentinel frame (key 0): no "empty stack" branch;
 *   - a frame points straight at its thread's counters for its code, and
 *     slot n of those (one past the last line) is a sink that absorbs the
 *     time charged while no line is open: no "is a line open" branch;
 *   - the innermost frame is never paused (only outer frames of the same
 *     code are), so a line event on it needs no flag test. */
#ifndef PYRO_LINETIMER_HOT_H
#define PYRO_LINETIMER_HOT_H

#include <stdint.h>

#include "model/clock.h"
#include "record/session.h"

/* One line's counters on one thread. */
typedef struct pyro_lline {
    uint64_t hits;
    int64_t ticks;
} pyro_lline_t;

typedef struct pyro_lframe {
    uintptr_t key;
    pyro_lline_t *lines; /* the thread's counters of this code: n + 1 slots */
    uint32_t first;      /* line number of slot 0 */
    uint32_t n;          /* slots of real lines; slot n is the sink */
    uint32_t cur;        /* the open line's slot, n when none */
    uint32_t id;         /* the chosen code's id */
    uint32_t prev;       /* stack index of the frame of the same code this one
                            paused, or PYRO_LINES_NOFRAME */
    uint32_t paused;     /* an inner frame of the same code runs */
    int64_t last;        /* ticks when the open line began (or resumed) */
} pyro_lframe_t;

#define PYRO_LINES_NOFRAME UINT32_MAX

/* One chosen code on one thread. */
typedef struct pyro_lcode_state {
    pyro_lline_t *lines; /* NULL until the thread first runs the code */
    uint64_t calls;
    uint32_t active; /* stack index of its innermost open frame, or PYRO_LINES_NOFRAME */
    uint32_t pad;
} pyro_lcode_state_t;

struct pyro_lthread {
    /* hot */
    pyro_lframe_t *top; /* innermost frame; == stack when none is open */
    int mute;           /* events are ignored while non-zero (paused) */
    /* cold */
    pyro_lframe_t *stack;
    pyro_lframe_t *limit;
    struct pyro_linetimer *timer;
    pyro_lcode_state_t *codes; /* by code id, capcodes entries */
    uint32_t capcodes;
    int64_t paused_at; /* ticks when the thread paused */
    uint64_t ident, native_id;
    char *name;
};

/* The calling thread's state for the running session (linetimer.c). */
extern __thread pyro_tls_t pyro_linetimer_tls __attribute__((tls_model("initial-exec")));

/* The part of the timer the fast path reads. */
struct pyro_linetimer_head {
    uint64_t gen; /* session id, 0 when stopped */
};

/* Out-of-line slow paths (linetimer.c). */
PYRO_SLOW struct pyro_lthread *pyro_linetimer_attach(struct pyro_linetimer *lt);
int pyro_lthread_line_slow(struct pyro_lthread *tt, uintptr_t key, uint32_t line);
void pyro_lthread_leave_slow(struct pyro_lthread *tt, uintptr_t key);
void pyro_lthread_enter(struct pyro_lthread *tt, uintptr_t key, int start);

PYRO_HOT struct pyro_lthread *pyro_lines_this_thread(struct pyro_linetimer *lt)
{
    if (__builtin_expect(pyro_linetimer_tls.gen == ((struct pyro_linetimer_head *)lt)->gen, 1))
        return (struct pyro_lthread *)pyro_linetimer_tls.tt;
    return pyro_linetimer_attach(lt);
}

PYRO_HOT int pyro_lthread_line(struct pyro_lthread *tt, uintptr_t key, uint32_t line)
{
    pyro_lframe_t *f = tt->top;
    if (__builtin_expect(f->key != key || tt->mute, 0))
        return pyro_lthread_line_slow(tt, key, line);
    uint32_t slot = line - f->first;
    if (__builtin_expect(slot >= f->n, 0))
        slot = f->n; /* a line outside the code's span: charge the sink */
    int64_t t = pyro_clock_ticks();
    pyro_lline_t *l = f->lines;
    l[f->cur].ticks += t - f->last;
    l[slot].hits++;
    f->cur = slot;
    f->last = t;
    return 0;
}

PYRO_HOT void pyro_lthread_leave(struct pyro_lthread *tt, uintptr_t key)
{
    pyro_lframe_t *f = tt->top;
    if (__builtin_expect(f->key != key || tt->mute || f->prev != PYRO_LINES_NOFRAME, 0)) {
        pyro_lthread_leave_slow(tt, key);
        return;
    }
    int64_t t = pyro_clock_ticks();
    f->lines[f->cur].ticks += t - f->last;
    tt->codes[f->id].active = PYRO_LINES_NOFRAME;
    tt->top = f - 1;
}

/* ==== the sink (contract in linetimer.h) ==== */

PYRO_HOT void pyro_lines_enter(struct pyro_linetimer *lt, uintptr_t key, int start)
{
    struct pyro_lthread *tt = pyro_lines_this_thread(lt);
    if (__builtin_expect(tt != NULL, 1))
        pyro_lthread_enter(tt, key, start);
}

PYRO_HOT int pyro_lines_line(struct pyro_linetimer *lt, uintptr_t key, uint32_t line)
{
    struct pyro_lthread *tt = pyro_lines_this_thread(lt);
    if (__builtin_expect(tt != NULL, 1))
        return pyro_lthread_line(tt, key, line);
    return 0;
}

PYRO_HOT void pyro_lines_leave(struct pyro_linetimer *lt, uintptr_t key)
{
    struct pyro_lthread *tt = pyro_lines_this_thread(lt);
    if (__builtin_expect(tt != NULL, 1))
        pyro_lthread_leave(tt, key);
}

#endif
