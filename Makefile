# impactapi: the two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run
CARGO ?= cargo
BIND ?= 127.0.0.1:8080
DB ?= impactapi.db

.PHONY: run build test test-rust lint bench clean

## Build (release) and serve on $(BIND) with $(DB); the first start prints the Sandbox API key.
run:
	$(CARGO) run --release -- --db $(DB) --bind $(BIND) serve

build:
	$(CARGO) build --release

## Everything the tests need is installed here; then every suite runs.
test: test-rust

test-rust:
	$(CARGO) test --all-targets

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

clean:
	$(CARGO) clean
	rm -rf test-artifacts
