#!/usr/bin/env bash
# `make test`: start a fresh ArcadeDB Bolt server, run the whole suite on both
# stores, and stop the server by its PID whatever happens (failures, Ctrl-C).
# The suite runs in GRAPH_API_TEST_PROCESSES processes (default 3: on two cores a third
# fills the time the others wait on servers they start, a fourth measured no faster; 0
# runs it in this one), a test file per process at a time, in the order collected (the
# longest, marked ``first``, first: tests/conftest.py), each process with a database of
# its own on the server (tests/conftest.py). First the import contracts (pyproject's
# [tool.importlinter]): a broken one fails the run before any server starts.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ENV_FILE=.arcadedb.env
DATA=.arcadedb/test

.venv/bin/lint-imports || exit 1

stop() { "$PY" scripts/arcadedb.py stop --env-file "$ENV_FILE"; }
trap stop EXIT

rm -rf "$DATA"
"$PY" scripts/arcadedb.py start --venv .venv-arcadedb --data "$DATA" --env-file "$ENV_FILE" \
    --heap 2g || exit 1
set -a; . "./$ENV_FILE"; set +a
PROCESSES=${GRAPH_API_TEST_PROCESSES:-3}
if [ "$PROCESSES" -gt 0 ]; then
    "$PY" -m pytest -q -n "$PROCESSES" --dist loadfile --no-loadscope-reorder "$@"
else
    "$PY" -m pytest -q "$@"
fi
