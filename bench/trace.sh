#!/usr/bin/env bash
# Tracing overhead on every CPython 3.9-3.15 that pyenv has (see
# bench/every_version.sh): bench/trace_overhead.py with this script's
# arguments (--quick, --repeat N, --only fib|julia).
exec "$(dirname "$0")/every_version.sh" bench/trace_overhead.py "$@"
