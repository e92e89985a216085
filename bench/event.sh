#!/usr/bin/env bash
# Event sampling overhead (run --event) on every CPython 3.9-3.15 that pyenv
# has (see bench/every_version.sh): bench/event_overhead.py with this
# script's arguments (--quick, --repeat N).
exec "$(dirname "$0")/every_version.sh" bench/event_overhead.py "$@"
