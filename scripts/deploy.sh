#!/usr/bin/env bash
# What `make serve` puts on a running Prefect server ($PREFECT_API_URL): the process work pool,
# the deployments of prefect.yaml, the project's alerts (flows/alerts.py) and one rate limit per
# library host, shared by all workers (flows/politeness.py). Safe to run again;
# the tests run this same script against their own server.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${UNMIG_BIN:-.venv/bin}"
: "${PREFECT_API_URL:?set PREFECT_API_URL to the Prefect server}"
export UNMIG_PROJECT_DIR="${UNMIG_PROJECT_DIR:-$PWD}"
export UNMIG_WORK_POOL="${UNMIG_WORK_POOL:-unmig-process}"

"$BIN/prefect" work-pool inspect "$UNMIG_WORK_POOL" >/dev/null 2>&1 \
  || "$BIN/prefect" work-pool create "$UNMIG_WORK_POOL" --type process
"$BIN/prefect" deploy --all --no-prompt
"$BIN/python" -m flows.alerts
# The backfill's form refuses an empty request (no start date, no symbol) before a run exists.
"$BIN/python" -m flows.params
# One rate limit per library host, shared by every worker (flows/politeness.py).
"$BIN/python" -m flows.politeness
