#!/usr/bin/env bash
# Exact line timing's overhead on every CPython 3.9-3.15 that pyenv has (see
# bench/every_version.sh): bench/lines_overhead.py with this script's
# arguments (--quick, --repeat N, --only julia|tight|fib).
exec "$(dirname "$0")/every_version.sh" bench/lines_overhead.py "$@"
