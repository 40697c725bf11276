# The two commands of the README: `make run` and `make test`. Both set themselves up.
# `make run PORT=8080 HOST=0.0.0.0` serves elsewhere; `make clean` resets the demo.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

BENCH_STAMP := $(VENV)/.bench-installed

.PHONY: run test lint clean bench bench-quick screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/zi db upgrade
	$(BIN)/zi demo
	$(BIN)/zi serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check workflow api notifications web tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

# SQLite by default; set TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)
# to run the same suite on PostgreSQL.
# The browser tests need Debian's chromium: installed with apt-get when missing.
test: lint
	bash .ci/install-chromium
	$(BIN)/pytest $(PYTEST_ARGS)

# The browser tests again, keeping their screenshots for the README (docs/screenshots/).
screenshots: $(STAMP)
	ZI_E2E_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/e2e

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

# Benchmarks against baselines measured in the same run, on throwaway PostgreSQL databases
# (BENCH_DATABASE_URL names the server; default postgresql://postgres@127.0.0.1:5432/postgres).
# `bench` is national size (several minutes); `bench-quick` the same measures in < 2 minutes.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) instance .pytest_cache
