#!/usr/bin/env bash
# Tracing overhead on every CPython 3.9-3.13 that pyenv has:
#   for each, a bench venv at .venv/bench/py3.X (made once, then reused) with
#   yappi and the build tools from PyPI, pyrometer built from this checkout
#   into it (build dir build/bench-py3.X), then bench/trace_overhead.py run
#   with this script's arguments (--quick, --repeat N, --only fib|julia).
# Versions that are not installed are reported. Exits non-zero if a version
# failed to set up or a benchmark run failed, or if no version was found.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LOGS=$ROOT/build/logs
mkdir -p "$LOGS"
VERSIONS=${PYROMETER_BENCH_VERSIONS:-"3.9 3.10 3.11 3.12 3.13"}
PYENV_ROOT=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
summary=()
failed=0
found=0

note() { summary+=("$1"); }

for v in $VERSIONS; do
    echo
    echo "==================== Python $v ===================="
    py=$(ls -d "$PYENV_ROOT"/versions/"$v".*/bin/python"$v" 2>/dev/null | sort -V | tail -1)
    if [ -z "$py" ]; then
        echo "not installed under $PYENV_ROOT/versions: not benchmarked"
        note "Python $v: NOT INSTALLED under $PYENV_ROOT (not benchmarked)"
        continue
    fi
    found=1
    venv=$ROOT/.venv/bench/py$v
    log=$LOGS/bench-py$v.log
    : >"$log"
    echo "setting up $venv (log: $log)"
    if [ ! -x "$venv/bin/python" ] && ! "$py" -m venv "$venv" >>"$log" 2>&1; then
        echo "FAILED to create the venv"
        note "Python $v: FAILED to create $venv (see $log)"; failed=1; continue
    fi
    if ! { "$venv/bin/python" -m pip install -q --upgrade pip && \
            "$venv/bin/python" -m pip install -q yappi meson-python meson ninja; } >>"$log" 2>&1; then
        echo "FAILED to install yappi and the build tools"
        note "Python $v: FAILED to install yappi/meson-python/meson/ninja (see $log)"; failed=1; continue
    fi
    # meson and ninja are found on PATH by meson-python: the venv's own.
    if ! PATH="$venv/bin:$PATH" "$venv/bin/python" -m pip install -q --no-build-isolation --no-deps \
            --force-reinstall -Cbuild-dir="$ROOT/build/bench-py$v" "$ROOT" >>"$log" 2>&1; then
        echo "FAILED to build/install pyrometer"
        note "Python $v: FAILED to build/install pyrometer (see $log)"; failed=1; continue
    fi
    if "$venv/bin/python" "$ROOT/bench/trace_overhead.py" "$@"; then
        note "Python $v: ran"
    else
        note "Python $v: FAILED (a benchmark run failed, see above)"; failed=1
    fi
done
[ $found -eq 0 ] && { note "no CPython 3.9-3.13 found under $PYENV_ROOT"; failed=1; }

echo
echo "==== summary ===="
printf '%s\n' "${summary[@]}"
exit $failed
