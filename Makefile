# The two commands: `make run` (install what is missing, start the assistant) and
# `make test` (install what is missing, run every check). `make help` lists the rest.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false

.PHONY: help
help:  ## show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

.PHONY: setup
setup:  ## install both venvs, migrate the database, train Rasa when its data changed
	@scripts/setup.sh

.PHONY: run
run: setup  ## start the assistant: web chat on http://127.0.0.1:8080 (Ctrl-C stops)
	@$(VENV)/assistant run

# The production topology on this machine: 2 gateways (8080, 8081), 2 Rasa, 2 action
# servers, on the PostgreSQL and Redis at 127.0.0.1 (override the three URLs to use others).
SCALED_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/assistant
SCALED_TRACKER_URL ?= postgresql://postgres@127.0.0.1:5432/assistant_rasa
SCALED_LOCK_STORE_URL ?= redis://127.0.0.1:6379/1
SCALED_ENV = DATABASE_URL=$(SCALED_DATABASE_URL) RASA_TRACKER_URL=$(SCALED_TRACKER_URL) \
	RASA_LOCK_STORE_URL=$(SCALED_LOCK_STORE_URL)

.PHONY: run-scaled
run-scaled: setup  ## the production topology locally: 2 of each process, PostgreSQL + Redis
	$(SCALED_ENV) $(VENV)/assistant db create
	$(SCALED_ENV) $(VENV)/assistant db upgrade
	$(SCALED_ENV) $(VENV)/assistant run --replicas 2

.PHONY: lint
lint: setup  ## ruff and mypy
	$(VENV)/ruff check bot actions tests scripts
	$(VENV)/mypy bot actions

# The database-facing tests run again on PostgreSQL when one answers on 127.0.0.1:5432
# (the editors' pages there through test_store/test_publishing: their database work; the
# webhooks' fuzzing, which parses HTTP rather than touching the database, once).
CONSOLE_DB_TESTS := tests/console/test_auth.py tests/console/test_security.py tests/console/test_tickets.py tests/console/test_metrics.py tests/console/test_browser.py tests/console/test_team_admin.py tests/console/test_history.py tests/console/test_dashboard.py
DB_TESTS := tests/db tests/knowledge/test_store.py tests/knowledge/test_publishing.py tests/test_retention.py tests/conversation tests/channels tests/status tests/gateway/test_web_chat.py tests/actions tests/handoff $(CONSOLE_DB_TESTS) tests/knowledge/test_responder.py tests/e2e/test_status.py tests/e2e/test_kill.py

.PHONY: test
test: lint  ## every test: unit, Rasa data validation, NLU evaluation, end-to-end (+PostgreSQL)
	@scripts/install_browser.sh  # Debian's Chromium for the console's browser test
	@scripts/run_tests.sh $(DB_TESTS)  # SQLite, and PostgreSQL at the same time

.PHONY: kb-lint
kb-lint: setup  ## check every knowledge article (file:line for each problem)
	$(VENV)/kb lint

.PHONY: kb-build
kb-build: setup  ## publish the knowledge index (the running assistant reloads it)
	$(VENV)/kb build

.PHONY: kb-eval
kb-eval: setup  ## retrieval diagnostics: hit@1/hit@3/MRR per style, out-of-scope rejection
	$(VENV)/kb eval

.PHONY: answer-eval
answer-eval: setup  ## the replies residents get, judged through a running stack (headline figure)
	$(VENV)/kb answer-eval

.PHONY: nlu-eval
nlu-eval: setup  ## NLU held-out evaluation: per-intent F1, fails under macro F1 0.85
	PYTHONPATH=. .venv-rasa/bin/python scripts/nlu_eval.py

.PHONY: demo-data
demo-data: setup  ## load 40 invented applications into the registry (to try status look-ups)
	$(VENV)/status import bot/status/samples/applications-demo.csv

.PHONY: bench
bench: setup  ## benchmarks (each starts its own stack): open-loop load, latency, conversation length, search, channels, dashboard
	$(VENV)/python scripts/bench_load.py
	$(VENV)/python scripts/bench_conversation.py
	$(VENV)/python scripts/bench_latency.py
	$(VENV)/python scripts/bench_kb.py
	$(VENV)/python scripts/bench_status.py
	$(VENV)/python scripts/bench_channels.py
	$(VENV)/python scripts/bench_handoff.py
	$(VENV)/python scripts/bench_dashboard.py

.PHONY: clean
clean:  ## remove runtime files (databases, logs, trained models); keeps the venvs
	rm -rf var models
