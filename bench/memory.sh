#!/usr/bin/env bash
# Memory profiling's overhead on every CPython 3.9-3.15 that pyenv has (see
# bench/every_version.sh; PYROMETER_BENCH_VERSIONS="3.12 3.13" chooses):
# bench/memory_overhead.py with this script's arguments (--quick, --repeat N,
# --peer-repeat N, --cap X, --only julia|raytrace|churn, --skip CONFIG,
# --instructions: counts under callgrind instead of times).
# The peers come from PyPI into each version's bench venv; one that does not
# install there is reported by the benchmark as n/a.
PYROMETER_BENCH_PEERS="memray memory_profiler scalene" \
    exec "$(dirname "$0")/every_version.sh" bench/memory_overhead.py "$@"
