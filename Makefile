# Confab. On a fresh machine, `make run` or `make test` installs what is missing first.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/end2end/node_modules/.bin:$(PATH)

.PHONY: run test test-rust test-e2e build-e2e lint bench clean

## Install what is missing, build a release and serve it on http://127.0.0.1:3000 (SQLite in ./data).
run:
	scripts/setup.sh
	cargo leptos build --release --precompress
	LEPTOS_SITE_ROOT=target/site target/release/server

## Install what is missing and run every test: Rust unit and integration tests, then Playwright.
test:
	scripts/setup.sh --test
	$(MAKE) test-rust
	$(MAKE) test-e2e

test-rust:
	cargo test --workspace --exclude frontend --locked

# The browser tests build into a site folder of their own, so they never
# replace the files a running `make run` serves.
build-e2e:
	LEPTOS_SITE_ROOT=target/e2e-site cargo leptos build

test-e2e: build-e2e
	cd end2end && npx playwright test

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

clean:
	cargo clean
	rm -rf end2end/test-results end2end/playwright-report
