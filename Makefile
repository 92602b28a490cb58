# The README's two commands: `make serve` and `make test`. Everything they need
# is installed here, into virtualenvs of the project's own.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

ARC_VENV := .venv-arcadedb
ARC_STAMP := $(ARC_VENV)/.installed-stamp
EXPLORE_DEPS := explore/node_modules/.package-lock.json
GRAPHIQL_DEPS := graphiql/node_modules/.package-lock.json
CLIENT_DEPS := tests/clients/node_modules/.package-lock.json

.PHONY: install serve test lint bench neo4j-up neo4j-down explore-deps graphiql-deps client-deps \
	chromium arcadedb clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The explorer's drawing library, from the npm registry (package-lock.json pins it).
$(EXPLORE_DEPS): explore/package.json explore/package-lock.json
	npm ci --prefix explore --no-audit --no-fund
	touch $@

explore-deps: $(EXPLORE_DEPS)

# GraphiQL (GET /graphql) with React, from the npm registry (package-lock.json pins
# them): served by the app, so it works on a network with no way out.
$(GRAPHIQL_DEPS): graphiql/package.json graphiql/package-lock.json
	npm ci --prefix graphiql --no-audit --no-fund --ignore-scripts
	touch $@

graphiql-deps: $(GRAPHIQL_DEPS)

# Clients written by others that tests/clients runs against a real server: npm
# graphql-http (the GraphQL-over-HTTP audits) and graphql-ws (package-lock.json pins them).
$(CLIENT_DEPS): tests/clients/package.json tests/clients/package-lock.json
	npm ci --prefix tests/clients --no-audit --no-fund
	touch $@

client-deps: $(CLIENT_DEPS)

# Debian's Chromium for the browser tests (never a downloaded browser build).
chromium:
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# ArcadeDB speaks Bolt and Cypher: the real server the Neo4j store is tested on.
$(ARC_STAMP):
	test -x $(ARC_VENV)/bin/python || $(PY) -m venv $(ARC_VENV)
	$(ARC_VENV)/bin/python -m pip install -q arcadedb-embedded==26.10.2.post1
	touch $@

arcadedb: $(ARC_STAMP)

serve: install explore-deps graphiql-deps
	$(BIN)/graph-api serve --demo

test: install explore-deps graphiql-deps client-deps chromium arcadedb
	scripts/test.sh $(PYTEST_ARGS)

# A Bolt server for development: `make neo4j-up` prints and writes the GRAPH_API_NEO4J_*
# settings to .arcadedb.dev.env (`make test` keeps its own server in .arcadedb.env);
# then `set -a; . ./.arcadedb.dev.env; set +a` and `graph-api serve --store neo4j`.
neo4j-up: install arcadedb
	$(BIN)/python scripts/arcadedb.py start --venv $(ARC_VENV) --data .arcadedb/dev --env-file .arcadedb.dev.env --serve-settings --reuse

neo4j-down: install
	$(BIN)/python scripts/arcadedb.py stop --env-file .arcadedb.dev.env

lint: install
	$(BIN)/ruff check graph_api tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports  # pyproject's [tool.importlinter]: imports run one way

# wrk (Debian) drives the HTTP benchmarks from its own process at little CPU cost.
bench: install explore-deps graphiql-deps chromium arcadedb
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	# One wrk token drives hundreds of requests a second: no per-token rate limit here.
	GRAPH_API_RATE_PER_SECOND=0 $(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(ARC_VENV) .arcadedb data .pytest_cache .mypy_cache explore/node_modules \
		graphiql/node_modules tests/clients/node_modules
