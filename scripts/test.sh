#!/usr/bin/env bash
# `make test`: start a fresh ArcadeDB Bolt server, run the whole suite on both
# stores, and stop the server by its PID whatever happens (failures, Ctrl-C).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ENV_FILE=.arcadedb.env
DATA=.arcadedb/test

stop() { "$PY" scripts/arcadedb.py stop --env-file "$ENV_FILE"; }
trap stop EXIT

rm -rf "$DATA"
"$PY" scripts/arcadedb.py start --venv .venv-arcadedb --data "$DATA" --env-file "$ENV_FILE" || exit 1
set -a; . "./$ENV_FILE"; set +a
"$PY" -m pytest -q "$@"
