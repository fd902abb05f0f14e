# Confab. On a fresh machine, `make run` or `make test` installs what is missing first.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/end2end/node_modules/.bin:$(PATH)

.PHONY: run cluster release-site release-server test test-rust test-e2e test-e2e-release build-e2e e2e-site e2e-server lint bench clean screenshots

## Install what is missing, build a release and serve it on http://127.0.0.1:3000 (SQLite in ./data).
run:
	scripts/setup.sh
	$(MAKE) -j2 release-site release-server
	LEPTOS_SITE_ROOT=target/site target/release/server

## Install what is missing, build a release and serve it as a cluster on
## http://127.0.0.1:3000: PostgreSQL, Redis, three servers and HAProxy, their
## data in ./data/cluster; Ctrl-C stops everything.
cluster:
	scripts/setup.sh --cluster
	$(MAKE) -j2 release-site release-server
	scripts/cluster.sh

# cargo-leptos builds the front end and then the server when file names are
# hashed; as two builds of their own they run side by side (the front end in
# target/front, the server in target/release).
# cargo-leptos writes brotli at its best and gzip at a middling level; gzip
# is what browsers ask for over plain http, so it is redone at its best.
release-site:
	cargo leptos build --release --precompress --frontend-only
	gzip -9 --no-name --keep --force target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css
release-server:
	cargo leptos build --release --server-only

## Install what is missing and run every test: Rust unit and integration tests, then Playwright.
test:
	scripts/setup.sh --test
	$(MAKE) test-rust
	$(MAKE) test-e2e

# With the flag and the name cargo-leptos gives debug builds of the server, so
# that the browser tests' server build (make build-e2e) reuses this one.
# The server's integration tests run twice: on SQLite, then on PostgreSQL
# (a throwaway cluster in a temporary folder, scripts/with-postgres.sh).
test-rust:
	RUSTFLAGS="--cfg erase_components" LEPTOS_OUTPUT_NAME=confab cargo test --workspace --exclude frontend --locked
	RUSTFLAGS="--cfg erase_components" LEPTOS_OUTPUT_NAME=confab scripts/with-postgres.sh \
	  cargo test -p server --tests --locked

# The browser tests build into a site folder of their own, so they never
# replace the files a running `make run` serves.
build-e2e:
	$(MAKE) -j2 e2e-site e2e-server
e2e-site:
	LEPTOS_SITE_ROOT=target/e2e-site cargo leptos build --frontend-only
e2e-server:
	LEPTOS_SITE_ROOT=target/e2e-site cargo leptos build --server-only

test-e2e: build-e2e
	cd end2end && npx playwright test

## The pictures in docs/screenshots (README), taken by a browser from a fresh server.
screenshots: build-e2e
	cd end2end && CONFAB_SCREENSHOTS=1 npx playwright test tests/screenshots.spec.ts

## The browser tests against the release build that `make run` serves.
test-e2e-release:
	$(MAKE) -j2 release-site release-server
	cd end2end && CONFAB_E2E_RELEASE=1 npx playwright test

## Benchmarks, printed as figures (never pass/fail): Confab side by side with
## the reference Node socket.io server (fan-out, latency, CPU, memory; the
## table is BENCHMARKS.md's), then server CPU per wasm download, then the
## engines a cluster's servers could talk through (ARCHITECTURE.md), Markdown,
## and search over a million messages on SQLite and PostgreSQL.
bench:
	scripts/setup.sh --cluster
	$(MAKE) -j2 release-site release-server
	cargo build --release --locked -p confab-loadgen
	cd server/loadgen/reference && npm ci --no-audit --no-fund
	ulimit -n "$$(ulimit -Hn)"; scripts/with-postgres.sh target/release/bench
	scripts/bench-static.sh
	scripts/bench-files.sh
	scripts/bench-engines.sh
	cargo bench --locked -p app --bench markdown
	scripts/with-postgres.sh cargo bench --locked -p confab-core --features server --bench search

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

clean:
	cargo clean
	rm -rf end2end/test-results end2end/playwright-report
