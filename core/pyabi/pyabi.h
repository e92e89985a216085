/* SPDX-License-Identifier: MIT */
/* pyabi: where the fields pyrometer reads live inside another process's
 * CPython runtime, per minor version and build kind (default or
 * free-threaded; x86-64 Linux). Offsets are in bytes from the start of the
 * structure; -1 means the field does not exist in that version. The tables
 * (pyabi_tables.c) are generated from each version's headers, as are, for
 * 3.13+, the maps of where each field sits inside that version's
 * _Py_DebugOffsets: a 3.13+ target is read through its own debug offsets,
 * the rest (what they lack, and the meanings of values) from the table of
 * its version and build kind. */
#ifndef PYRO_PYABI_H
#define PYRO_PYABI_H

#include <stddef.h>
#include <stdint.h>

typedef struct pyro_layout {
    uint32_t version;      /* PY_VERSION_HEX of the minor version: 0x030B0000 */
    int32_t free_threaded; /* 1: a free-threaded (Py_GIL_DISABLED) build, 0 the default */
    /* _PyRuntimeState */
    int32_t rt_interpreters_head;
    int32_t rt_gil_locked;      /* <= 3.11: ceval.gil.locked (int) */
    int32_t rt_gil_last_holder; /* <= 3.11: ceval.gil.last_holder (PyThreadState*) */
    /* PyInterpreterState */
    int32_t interp_next;
    int32_t interp_threads_head;
    int32_t interp_gil;      /* >= 3.12: ceval.gil, a pointer to the GIL state */
    int32_t gil_locked;      /* >= 3.12: within the GIL state */
    int32_t gil_last_holder; /* >= 3.12: within the GIL state */
    int32_t gil_enabled;     /* free-threaded: within the GIL state, nonzero when it was enabled */
    /* PyThreadState */
    int32_t ts_next;
    int32_t ts_thread_id;        /* pthread_t: threading.get_ident() */
    int32_t ts_native_thread_id; /* >= 3.11: the OS thread id */
    int32_t ts_frame;            /* <= 3.10 frame, 3.11/3.12 cframe (pointer), 3.13 current_frame */
    int32_t cframe_current_frame; /* 3.11/3.12: current_frame within the _PyCFrame */
    int32_t ts_datastack_chunk;   /* 3.11+: the _PyStackChunk holding the newest frames */
    int32_t ts_datastack_top;     /* 3.11+: the end of its used part */
    int32_t chunk_data;           /* 3.11+: data[] within _PyStackChunk */
    /* frames: PyFrameObject (<= 3.10) or _PyInterpreterFrame (3.11+) */
    int32_t frame_previous;
    int32_t frame_code; /* the code object (3.13: f_executable, may be None) */
    int32_t
        frame_instr; /* <= 3.10 f_lasti (int); 3.11/3.12 prev_instr, 3.13 instr_ptr (pointers) */
    int32_t frame_owner;      /* 3.11+: who owns the frame (char) */
    int32_t frame_state;      /* 3.9 f_executing, 3.10 f_state (a char); -1 on 3.11+ */
    int32_t frame_tlbc_index; /* free-threaded 3.14+: which bytecode copy instr_ptr is in (int32) */
    /* PyCodeObject */
    int32_t co_name;
    int32_t co_qualname; /* 3.11+ */
    int32_t co_filename;
    int32_t co_firstlineno;
    int32_t co_flags;          /* CO_GENERATOR etc. (not in 3.13's debug offsets: from the table) */
    int32_t co_linetable;      /* 3.9 co_lnotab, 3.10+ co_linetable (bytes) */
    int32_t co_code_adaptive;  /* 3.11+: the inline bytecode */
    int32_t co_tlbc;           /* free-threaded 3.14+: the _PyCodeArray of per-thread copies */
    int32_t codearray_size;    /* within _PyCodeArray: its entry count (Py_ssize_t) */
    int32_t codearray_entries; /* within _PyCodeArray: the copies (entry 0 is co_code_adaptive) */
    /* objects */
    int32_t ob_type;
    int32_t tp_name;
    int32_t unicode_state;
    int32_t unicode_length;
    int32_t unicode_ascii_size;   /* sizeof(PyASCIIObject): ASCII data follows */
    int32_t unicode_compact_size; /* sizeof(PyCompactUnicodeObject) */
    int32_t bytes_size;
    int32_t bytes_sval;
    /* sys.modules, dicts, ints and instance attributes (thread names) */
    int32_t interp_modules;        /* PyInterpreterState: sys.modules */
    int32_t dict_keys;             /* PyDictObject ma_keys */
    int32_t dict_values;           /* PyDictObject ma_values (split tables) */
    int32_t dk_size;               /* <= 3.10: PyDictKeysObject dk_size (Py_ssize_t) */
    int32_t dk_log2_size;          /* >= 3.11 (uint8) */
    int32_t dk_log2_index_bytes;   /* >= 3.11 (uint8) */
    int32_t dk_kind;               /* >= 3.11 (uint8): 0 general, 1 unicode, 2 split */
    int32_t dk_nentries;           /* entries in use (Py_ssize_t) */
    int32_t dk_indices;            /* the hash index; the entries follow it */
    int32_t dk_entry_size;         /* sizeof(PyDictKeyEntry): hash, key, value */
    int32_t dk_unicode_entry_size; /* >= 3.11 sizeof(PyDictUnicodeEntry): key, value */
    int32_t dv_values;             /* values[] within PyDictValues (3.13: after 4 bytes) */
    int32_t dv_capacity;           /* >= 3.13 (uint8): inline values the object has room for */
    int32_t dv_valid;              /* >= 3.13 (uint8): the inline values are in use */
    int32_t managed_dict; /* >= 3.11: MANAGED_DICT_OFFSET (negative: before the object), else -1 */
    int32_t ht_cached_keys; /* >= 3.11 PyHeapTypeObject: shared keys of instances */
    int32_t long_size;      /* <= 3.11 ob_size (signed digit count); 3.12+ lv_tag */
    int32_t long_digit;     /* ob_digit[]: 30-bit digits, least significant first */
    int32_t tp_basicsize;
    int32_t tp_dictoffset;
    int32_t tp_flags;
    /* meanings, not offsets (from the headers too) */
    int32_t owner_cstack;        /* FRAME_OWNED_BY_CSTACK (3.12-3.14): a C-stack shim, -1 none */
    int32_t owner_interpreter;   /* FRAME_OWNED_BY_INTERPRETER (3.14+): an entry shim, -1 none */
    int32_t executable_tag;      /* 3.14+: Py_TAG_BITS, the tag bits of f_executable (0: a plain
                                    pointer) */
    int32_t unicode_kind_bit;    /* where PyASCIIObject's state bit fields lie in its first 32 */
    int32_t unicode_compact_bit; /* bits (free-threaded 3.14 moved them: `interned` became a */
    int32_t unicode_ascii_bit;   /* byte) */
} pyro_layout_t;

/* Where each field of pyro_layout_t sits inside one minor version's
 * _Py_DebugOffsets, in 8-byte slots (offsetof(_Py_DebugOffsets, ...) / 8).
 * Slot 0 (the cookie) means the field is not in that version's debug
 * offsets: it comes from the table. Every version keeps the same head:
 * the cookie "xdebugpy", then version (slot 1) and free_threaded (slot 2). */
typedef struct pyro_dbgmap {
    uint32_t version;   /* PY_VERSION_HEX of the minor version */
    int32_t size;       /* sizeof(_Py_DebugOffsets) */
    int32_t gil_state;  /* slot of interpreter_state.gil_runtime_state: the GIL fields'
                           slots hold offsets within the interpreter, from which it is taken */
    pyro_layout_t slot; /* the slot of each field (.version and .free_threaded unused) */
} pyro_dbgmap_t;

/* The generated tables: one layout per supported minor version and build
 * kind, one debug-offsets map per supported minor version from 3.13. */
extern const pyro_layout_t pyro_layouts[];
extern const unsigned pyro_nlayouts;
extern const pyro_dbgmap_t pyro_dbgmaps[];
extern const unsigned pyro_ndbgmaps;

/* The layout of minor version `version` (any PY_VERSION_HEX of it) built
 * free-threaded (1) or not (0), or NULL when pyrometer has none. */
const pyro_layout_t *pyro_layout_for(uint32_t version, int free_threaded);

/* The debug-offsets map of minor version `version`, or NULL. */
const pyro_dbgmap_t *pyro_dbgmap_for(uint32_t version);

/* _Py_DebugOffsets (3.13+): fill `out` from the `len` bytes found at the
 * start of a target's _PyRuntime, through the generated map of the version
 * they name; what they lack comes from the table of that version and build
 * kind. Whenever the cookie is right, also on PYRO_EVERSION, *version is
 * set to the full PY_VERSION_HEX they hold (release level and serial
 * included) and *free_threaded to their build kind. Returns PYRO_OK,
 * PYRO_EFORMAT (no cookie, too short, or an implausible offset) or
 * PYRO_EVERSION (a version or build kind pyrometer has no map or table for:
 * never read with a guessed layout). */
int pyro_layout_from_debug_offsets(const void *data, size_t len, pyro_layout_t *out,
                                   uint32_t *version, int *free_threaded);

/* Bytes of _PyRuntime to read for pyro_layout_from_debug_offsets() (every
 * known version's _Py_DebugOffsets fits). */
#define PYRO_DEBUG_OFFSETS_SIZE 2048

#endif
