# Two entry points: `make run` (demo gateway on SQLite) and `make test` (whole suite, SQLite + PostgreSQL).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export GATEWAY_INSTANCE_PATH ?= $(abspath instance)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run serve test test-fast test-sqlite test-postgres postgres redis pgbouncer chromium \
	wrk lint bench bench-scale \
	clean-instance translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/pybabel compile --statistics -d gateway/translations

## run: set up, create keys and the SQLite database, load the demo network, then run the API,
## the partner simulator, the delivery worker and the SLA scheduler in the foreground (Ctrl-C stops)
run: setup
	$(BIN)/python -m gateway.demo.runner --host $(HOST) --port $(PORT)

serve:
	GATEWAY_ISSUER=http://$(HOST):$(PORT) $(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) \
		--access-logfile - 'gateway:create_app()'

## test: lint, then the whole suite on SQLite and again on PostgreSQL
test: setup postgres redis pgbouncer chromium lint test-sqlite test-postgres

## test-fast: the in-process part on SQLite (no browser, no live processes, no slow runs)
test-fast: setup
	GATEWAY_TEST_DATABASE=sqlite $(BIN)/python -m pytest -m "not browser and not live and not slow"

test-sqlite: setup redis chromium
	GATEWAY_TEST_DATABASE=sqlite $(BIN)/python -m pytest

test-postgres: setup postgres redis pgbouncer chromium
	GATEWAY_TEST_DATABASE=postgresql $(BIN)/python -m pytest

postgres:
	bash .ci/ensure-postgres

## redis: a Redis server on 127.0.0.1:6379 for the rate-limit tests (apt, only when missing)
redis:
	bash .ci/ensure-redis

## pgbouncer: Debian's PgBouncer for tests/ops/test_pgbouncer.py, which starts its own process
## (apt, only when missing; never run as a system service)
pgbouncer:
	bash .ci/ensure-pgbouncer

## chromium: Debian's Chromium for the admin UI's browser tests (apt, only when missing)
chromium:
	bash .ci/ensure-chromium

## translations: re-extract the admin UI's messages and update the catalogues (then edit the .po)
translations: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header \
		-o gateway/translations/messages.pot .
	$(BIN)/pybabel update -i gateway/translations/messages.pot -d gateway/translations
	$(BIN)/pybabel compile -d gateway/translations

lint: setup
	$(BIN)/ruff check .

## wrk: Debian's wrk for `make bench` (apt, only when missing; `make test` does not need it)
wrk:
	bash .ci/ensure-wrk

## bench: gunicorn + wrk on loopback, every case as a ratio to a bare insert served the same
## way in the same run (README, "Performance"); BENCH_SECONDS per run, 4 by default
bench: setup postgres wrk
	$(BIN)/python -m bench

## bench-scale: the inbox at 10k, 100k and 1M referrals (PostgreSQL, COPY-generated; ≈ 12 min,
## so not part of `make bench`); bench/results/scale.json
bench-scale: setup postgres wrk
	$(BIN)/python -m bench.data_scale 10000 100000 1000000

clean-instance:
	rm -rf instance
