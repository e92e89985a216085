#!/usr/bin/env bash
# pyrometer bench's per-loop overhead against timeit's on every CPython
# 3.9-3.15 that pyenv has (see bench/every_version.sh):
# bench/bench_overhead.py with this script's arguments (--repeat N).
exec "$(dirname "$0")/every_version.sh" bench/bench_overhead.py "$@"
