#!/usr/bin/env bash
# make test's test runs, two at a time on a 2-core machine (one after the other they took
# 25 minutes on a fresh one): the end-to-end tests (mostly waiting on real stacks) beside
# every other test on SQLite followed by the database tests again on PostgreSQL, when one
# answers on 127.0.0.1:5432. The runs share nothing: each has its own database, var/
# folder and free ports. Logs: var/test-*.log. Usage: run_tests.sh DB_TEST_PATHS...
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=.venv/bin
mkdir -p var
rm -f var/test-*.log var/test-*.rc

run() {  # run NAME COMMAND...: the command's output to var/test-NAME.log, its status to .rc
  local name=$1
  shift
  "$@" >"var/test-$name.log" 2>&1
  echo $? >"var/test-$name.rc"
}

postgres_answers() {
  $VENV/python -c "import psycopg; psycopg.connect('postgresql://postgres@127.0.0.1:5432/postgres', connect_timeout=3).close()" 2>/dev/null
}

echo "== tests: end-to-end | the others, then the database tests on PostgreSQL (at once) =="
run end-to-end $VENV/pytest -q -p no:cacheprovider --durations=8 tests/e2e &
first=$!
(
  run others $VENV/pytest -q -p no:cacheprovider --durations=8 --ignore=tests/e2e
  if postgres_answers; then
    run postgres env TEST_DATABASE=postgres $VENV/pytest -q -p no:cacheprovider --durations=5 "$@"
  else
    echo "PostgreSQL not reachable on 127.0.0.1:5432: database tests ran on SQLite only" \
      >var/test-postgres.log
    echo 0 >var/test-postgres.rc
  fi
) &
second=$!
wait "$first" "$second"

status=0
for name in end-to-end others postgres; do
  rc=$(cat "var/test-$name.rc" 2>/dev/null || echo 1)
  echo "== $name: $([ "$rc" -eq 0 ] && echo passed || echo FAILED) (var/test-$name.log) =="
  if [ "$rc" -eq 0 ]; then
    sed -n '/slowest/,$p' "var/test-$name.log" | tail -n 12
  else
    cat "var/test-$name.log"
    status=1
  fi
done
exit "$status"
