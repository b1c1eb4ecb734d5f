#!/usr/bin/env bash
# make test's test runs: every test on SQLite and, at the same time, the database tests a
# second time on PostgreSQL when one answers on 127.0.0.1:5432. The two runs share nothing
# (each has its own database, var/ folder and free ports), so on a 2-core machine they
# take together little more than the longer one. Usage: run_tests.sh DB_TEST_PATHS...
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=.venv/bin
mkdir -p var
pg_log=var/test-postgres.log
pg_pid=""
if $VENV/python -c "import psycopg; psycopg.connect('postgresql://postgres@127.0.0.1:5432/postgres', connect_timeout=3).close()" 2>/dev/null; then
  TEST_DATABASE=postgres $VENV/pytest -q -p no:cacheprovider "$@" >"$pg_log" 2>&1 &
  pg_pid=$!
else
  echo "PostgreSQL not reachable on 127.0.0.1:5432: database tests run on SQLite only"
fi
$VENV/pytest -q --durations=12
sqlite=$?
pg=0
if [ -n "$pg_pid" ]; then
  wait "$pg_pid"
  pg=$?
  echo "== the database tests again, on PostgreSQL (full output: $pg_log) =="
  if [ "$pg" -eq 0 ]; then tail -n 3 "$pg_log"; else cat "$pg_log"; fi
fi
[ "$sqlite" -eq 0 ] && [ "$pg" -eq 0 ]
