#!/usr/bin/env bash
# Run one benchmark script on every CPython 3.9-3.15 that pyenv has (the
# default builds; free-threaded ones are not benchmarked):
#   bench/every_version.sh bench/trace_overhead.py [its arguments]
#   bench/every_version.sh bench/sample_overhead.py [its arguments]
#   bench/every_version.sh bench/lines_overhead.py [its arguments]
#   bench/every_version.sh bench/memory_overhead.py [its arguments]
# For each version, a bench venv at .venv/bench/py3.X (made once, then
# reused) gets the peer tools (yappi, py-spy, pyinstrument, line_profiler;
# PYROMETER_BENCH_PEERS="memray scalene" names others instead) and the build
# tools from PyPI, and pyrometer built from this checkout (build dir
# build/bench-py3.X, log build/logs/bench-py3.X.log); then the script runs
# with that venv's Python. Versions that are not installed are reported.
# Exits non-zero if a version failed to set up or a benchmark run failed,
# or if no version was found. PYROMETER_BENCH_VERSIONS="3.12 3.13" limits
# the versions.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LOGS=$ROOT/build/logs
mkdir -p "$LOGS"
[ $# -ge 1 ] || { echo "usage: $0 BENCH_SCRIPT [ARGS...]" >&2; exit 2; }
script=$1
shift
VERSIONS=${PYROMETER_BENCH_VERSIONS:-"3.9 3.10 3.11 3.12 3.13 3.14 3.15"}
PYENV_ROOT=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
summary=()
failed=0
found=0

note() { summary+=("$1"); }

for v in $VERSIONS; do
    echo
    echo "==================== Python $v ===================="
    # a free-threaded build (versions/3.14.7t) has a python3.14 too: not that one
    py=$(ls -d "$PYENV_ROOT"/versions/"$v".*/bin/python"$v" 2>/dev/null | grep -v "t/bin/" | sort -V | tail -1)
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
            "$venv/bin/python" -m pip install -q meson-python meson ninja; } >>"$log" 2>&1; then
        echo "FAILED to install the build tools"
        note "Python $v: FAILED to install meson-python/meson/ninja (see $log)"
        failed=1; continue
    fi
    # each peer on its own: one that does not install on a new Python (no
    # wheel, a build that fails) is named, and the benchmarks skip it
    missing=""
    for peer in ${PYROMETER_BENCH_PEERS:-yappi py-spy pyinstrument line_profiler>=5}; do
        "$venv/bin/python" -m pip install -q "$peer" >>"$log" 2>&1 || missing="$missing $peer"
    done
    [ -n "$missing" ] && echo "could not install:$missing (see $log); benchmarked without"
    # meson and ninja are found on PATH by meson-python: the venv's own.
    if ! PATH="$venv/bin:$PATH" "$venv/bin/python" -m pip install -q --no-build-isolation --no-deps \
            --force-reinstall -Cbuild-dir="$ROOT/build/bench-py$v" "$ROOT" >>"$log" 2>&1; then
        echo "FAILED to build/install pyrometer"
        note "Python $v: FAILED to build/install pyrometer (see $log)"; failed=1; continue
    fi
    # the benchmark names the peers that did not install, and why, in its table
    if PYROMETER_BENCH_MISSING="$missing" PYROMETER_BENCH_LOG="$log" PATH="$venv/bin:$PATH" \
            "$venv/bin/python" "$ROOT/$script" "$@"; then
        note "Python $v: ran${missing:+ (without$missing: did not install)}"
    else
        note "Python $v: FAILED (a benchmark run failed, see above)"; failed=1
    fi
done
[ $found -eq 0 ] && { note "no CPython 3.9-3.15 found under $PYENV_ROOT"; failed=1; }

echo
echo "==== summary ===="
printf '%s\n' "${summary[@]}"
exit $failed
