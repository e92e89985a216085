/* SPDX-License-Identifier: MIT */
/* pyabi: table lookup, and the 3.13 _Py_DebugOffsets decoder. */
#include "pyabi/pyabi.h"

#include <string.h>

#include "model/error.h"

const pyro_layout_t *pyro_layout_for(uint32_t version)
{
    for (unsigned i = 0; i < pyro_nlayouts; i++)
        if ((pyro_layouts[i].version & 0xffff0000) == (version & 0xffff0000))
            return &pyro_layouts[i];
    return NULL;
}

/* ==== _Py_DebugOffsets ==== */

/* Positions (in units of uint64) of the fields we use within the 3.13
 * _Py_DebugOffsets structure (Include/internal/pycore_runtime.h). */
enum {
    DO_VERSION = 1,
    DO_FREE_THREADED = 2,
    DO_RT_INTERPRETERS_HEAD = 5,
    DO_INTERP_NEXT = 8,
    DO_INTERP_THREADS_HEAD = 9,
    DO_INTERP_MODULES = 11,
    DO_INTERP_CEVAL_GIL = 14,
    DO_INTERP_GIL_STATE = 15,
    DO_INTERP_GIL_LOCKED = 17,
    DO_INTERP_GIL_HOLDER = 18,
    DO_TS_NEXT = 21,
    DO_TS_CURRENT_FRAME = 23,
    DO_TS_THREAD_ID = 24,
    DO_TS_NATIVE_THREAD_ID = 25,
    DO_TS_DATASTACK_CHUNK = 26,
    DO_FRAME_PREVIOUS = 29,
    DO_FRAME_EXECUTABLE = 30,
    DO_FRAME_INSTR_PTR = 31,
    DO_FRAME_OWNER = 33,
    DO_CODE_FILENAME = 35,
    DO_CODE_NAME = 36,
    DO_CODE_QUALNAME = 37,
    DO_CODE_LINETABLE = 38,
    DO_CODE_FIRSTLINENO = 39,
    DO_CODE_ADAPTIVE = 43,
    DO_OB_TYPE = 45,
    DO_TP_NAME = 47,
    DO_TP_FLAGS = 49,
    DO_DICT_KEYS = 57,
    DO_DICT_VALUES = 58,
    DO_LONG_TAG = 62,
    DO_LONG_DIGIT = 63,
    DO_BYTES_OB_SIZE = 65,
    DO_BYTES_OB_SVAL = 66,
    DO_UNICODE_STATE = 68,
    DO_UNICODE_LENGTH = 69,
    DO_UNICODE_ASCII_SIZE = 70,
    DO_TOTAL = 73, /* fields in the 3.13 structure */
};

static uint64_t field(const unsigned char *d, int i)
{
    uint64_t v = 0;
    for (int b = 0; b < 8; b++)
        v |= (uint64_t)d[8 * i + b] << (8 * b);
    return v;
}

int pyro_layout_from_debug_offsets(const void *data, size_t len, pyro_layout_t *out)
{
    const unsigned char *d = data;
    if (len < DO_TOTAL * 8 || memcmp(d, "xdebugpy", 8) != 0)
        return PYRO_EFORMAT;
    uint64_t version = field(d, DO_VERSION);
    if ((version & 0xffff0000) != 0x030D0000)
        return PYRO_EVERSION;
    static const struct {
        int index;
        size_t where;
    } map[] = {
        {DO_RT_INTERPRETERS_HEAD, offsetof(pyro_layout_t, rt_interpreters_head)},
        {DO_INTERP_NEXT, offsetof(pyro_layout_t, interp_next)},
        {DO_INTERP_THREADS_HEAD, offsetof(pyro_layout_t, interp_threads_head)},
        {DO_INTERP_CEVAL_GIL, offsetof(pyro_layout_t, interp_gil)},
        {DO_TS_NEXT, offsetof(pyro_layout_t, ts_next)},
        {DO_TS_CURRENT_FRAME, offsetof(pyro_layout_t, ts_frame)},
        {DO_TS_THREAD_ID, offsetof(pyro_layout_t, ts_thread_id)},
        {DO_TS_NATIVE_THREAD_ID, offsetof(pyro_layout_t, ts_native_thread_id)},
        {DO_TS_DATASTACK_CHUNK, offsetof(pyro_layout_t, ts_datastack_chunk)},
        {DO_FRAME_PREVIOUS, offsetof(pyro_layout_t, frame_previous)},
        {DO_FRAME_EXECUTABLE, offsetof(pyro_layout_t, frame_code)},
        {DO_FRAME_INSTR_PTR, offsetof(pyro_layout_t, frame_instr)},
        {DO_FRAME_OWNER, offsetof(pyro_layout_t, frame_owner)},
        {DO_CODE_FILENAME, offsetof(pyro_layout_t, co_filename)},
        {DO_CODE_NAME, offsetof(pyro_layout_t, co_name)},
        {DO_CODE_QUALNAME, offsetof(pyro_layout_t, co_qualname)},
        {DO_CODE_LINETABLE, offsetof(pyro_layout_t, co_linetable)},
        {DO_CODE_FIRSTLINENO, offsetof(pyro_layout_t, co_firstlineno)},
        {DO_CODE_ADAPTIVE, offsetof(pyro_layout_t, co_code_adaptive)},
        {DO_OB_TYPE, offsetof(pyro_layout_t, ob_type)},
        {DO_TP_NAME, offsetof(pyro_layout_t, tp_name)},
        {DO_BYTES_OB_SIZE, offsetof(pyro_layout_t, bytes_size)},
        {DO_BYTES_OB_SVAL, offsetof(pyro_layout_t, bytes_sval)},
        {DO_UNICODE_STATE, offsetof(pyro_layout_t, unicode_state)},
        {DO_UNICODE_LENGTH, offsetof(pyro_layout_t, unicode_length)},
        {DO_UNICODE_ASCII_SIZE, offsetof(pyro_layout_t, unicode_ascii_size)},
        {DO_INTERP_MODULES, offsetof(pyro_layout_t, interp_modules)},
        {DO_TP_FLAGS, offsetof(pyro_layout_t, tp_flags)},
        {DO_DICT_KEYS, offsetof(pyro_layout_t, dict_keys)},
        {DO_DICT_VALUES, offsetof(pyro_layout_t, dict_values)},
        {DO_LONG_TAG, offsetof(pyro_layout_t, long_size)},
        {DO_LONG_DIGIT, offsetof(pyro_layout_t, long_digit)},
    };
    /* What the debug offsets leave out (dict keys internals, the type's
     * basic size and cached keys) comes from the generated table of the same
     * minor version, which only describes the default (GIL) build: for a
     * free-threaded build those fields stay unknown (-1). */
    const pyro_layout_t *table = pyro_layout_for((uint32_t)version);
    pyro_layout_t l;
    if (table && field(d, DO_FREE_THREADED) == 0)
        l = *table;
    else
        memset(&l, 0xff, sizeof l); /* every field -1 unless set */
    l.version = (uint32_t)(version & 0xffff0000);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        uint64_t v = field(d, map[i].index);
        if (v > (1u << 20))
            return PYRO_EFORMAT; /* no structure we read is that large */
        int32_t off = (int32_t)v;
        memcpy((char *)&l + map[i].where, &off, sizeof off);
    }
    uint64_t gil = field(d, DO_INTERP_GIL_STATE);
    uint64_t locked = field(d, DO_INTERP_GIL_LOCKED), holder = field(d, DO_INTERP_GIL_HOLDER);
    if (locked < gil || holder < gil || locked - gil > 4096 || holder - gil > 4096)
        return PYRO_EFORMAT;
    l.gil_locked = (int32_t)(locked - gil);
    l.gil_last_holder = (int32_t)(holder - gil);
    l.rt_gil_locked = l.rt_gil_last_holder = -1;
    l.cframe_current_frame = -1;
    /* PyCompactUnicodeObject = PyASCIIObject + utf8_length + utf8 */
    l.unicode_compact_size = l.unicode_ascii_size + 16;
    *out = l;
    return PYRO_OK;
}
