#!/usr/bin/env bash
# make test: every test, on SQLite and (when PostgreSQL is installed) PostgreSQL,
# then a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only stdout is eval'd: pg_ctl's notices on stderr must never reach the shell.
if out=$(scripts/postgres.sh start); then
  eval "$out"
  echo "store tests run on SQLite and on PostgreSQL ($RAILYARD_TEST_POSTGRES)"
else
  echo "NOTE: store tests run on SQLite only (PostgreSQL halves skip)"
fi
go vet ./...
go test -count=1 -timeout 20m ./...
scripts/fuzz.sh "${FUZZTIME:-5s}"
