#!/usr/bin/env bash
# The whole suite: lint, types, then unit, integration and e2e tests on real Kafka and FerretDB
# (started by the tests themselves unless CRM_TEST_KAFKA_BOOTSTRAP/CRM_TEST_MONGO_URL are set).
set -uo pipefail
cd "$(dirname "$0")/.."
uv() { python3 -m uv "$@"; }

uv run ruff check . || exit 1
uv run ruff format --check . || exit 1
uv run mypy || exit 1
uv run crm catalogue check || exit 1
uv run pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "error: pytest collected no tests: check the test paths and markers" >&2
  exit 1
fi
exit "$rc"
