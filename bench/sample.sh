#!/usr/bin/env bash
# Sampling overhead on every CPython 3.9-3.15 that pyenv has (see
# bench/every_version.sh): bench/sample_overhead.py with this script's
# arguments (--quick, --long, --repeat N).
exec "$(dirname "$0")/every_version.sh" bench/sample_overhead.py "$@"
