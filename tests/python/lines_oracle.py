"""The reference line counts of test_lines_exact.py: what the interpreter itself reports.

    python lines_oracle.py OUT.json SCRIPT [ARGS...]

Runs SCRIPT as __main__ with a `profile` in builtins that only notes the code object of what it
decorates (and returns it unchanged: the program runs exactly as under plain python), and counts,
in every thread, the line events the interpreter emits for those code objects: sys.monitoring's
LINE events (3.12+, the events pyrometer's and line_profiler's line timers both listen to there;
PY_START is enabled too, see profile()) or sys.settrace's "line" events (3.9-3.11, likewise).
OUT.json: {"functions": [{"file", "line" (co_firstlineno), "name" (co_name), "hits": {line:
count}}]}. No timing, no wrapper, no state
beyond a dict per code object: a definition of hits that is easy to check by reading it.
"""

from __future__ import annotations

import builtins
import json
import os
import runpy
import sys
import threading
from types import CodeType
from typing import Any

HITS: dict[CodeType, dict[int, int]] = {}
LOCK = threading.Lock()


def profile(func: Any) -> Any:
    code = getattr(func, "__code__", None)
    if isinstance(code, CodeType) and code not in HITS:
        HITS[code] = {}
        if hasattr(sys, "monitoring"):
            # PY_START too (no callback): on 3.13+ without it the interpreter emits no LINE event
            # for a line that shares the function's first instruction (RESUME), e.g. the body of a
            # lambda or of `def f(x): return x`; with it, as with sys.settrace, it does.
            events = sys.monitoring.events
            sys.monitoring.set_local_events(TOOL, code, events.LINE | events.PY_START)
    return func


def on_line(code: CodeType, line: int) -> None:
    counts = HITS[code]
    with LOCK:
        counts[line] = counts.get(line, 0) + 1


def local_trace(frame: Any, event: str, arg: Any) -> Any:
    if event == "line":
        on_line(frame.f_code, frame.f_lineno)
    return local_trace


def global_trace(frame: Any, event: str, arg: Any) -> Any:
    return local_trace if frame.f_code in HITS else None


def main() -> None:
    out, script = sys.argv[1], sys.argv[2]
    sys.argv = sys.argv[2:]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    builtins.profile = profile  # type: ignore[attr-defined]
    if hasattr(sys, "monitoring"):
        sys.monitoring.register_callback(TOOL, sys.monitoring.events.LINE, on_line)
    else:
        threading.settrace(global_trace)
        sys.settrace(global_trace)
    try:
        runpy.run_path(script, run_name="__main__")
    finally:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        if hasattr(sys, "monitoring"):
            sys.monitoring.register_callback(TOOL, sys.monitoring.events.LINE, None)
        functions = [
            {"file": c.co_filename, "line": c.co_firstlineno, "name": c.co_name, "hits": dict(sorted(h.items()))}
            for c, h in HITS.items()
        ]
        with open(out, "w") as f:
            json.dump({"functions": functions}, f)


if hasattr(sys, "monitoring"):
    TOOL = next(i for i in range(6) if sys.monitoring.get_tool(i) is None)
    sys.monitoring.use_tool_id(TOOL, "lines_oracle")

if __name__ == "__main__":
    main()
