#!/usr/bin/env bash
# Installs what running and testing need from PyPI: uv, then the locked workspace packages.
# Kafka (Maven Central jars) and FerretDB (Go module proxy) are fetched by `crm` on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "error: Python 3.11 is needed as python3 (found $(python3 --version 2>&1)): install it or put it first on PATH" >&2
  exit 1
}
for tool in java mvn go; do
  command -v "$tool" >/dev/null || {
    echo "error: $tool not found: the local Kafka needs java + mvn, FerretDB needs go (see README, Requirements)" >&2
    exit 1
  }
done
if ! python3 -m uv --version >/dev/null 2>&1; then
  echo "installing uv from PyPI..." >&2
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
python3 -m uv sync --frozen --quiet
