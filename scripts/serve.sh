#!/usr/bin/env bash
# Local Prefect server + process work pool + deployments + alerts + per-host rate limits + a
# worker, for operators and analysts. More workers: docs/scaling.md.
# Stops everything it started on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PREFECT_PORT:-4200}"
export PREFECT_API_URL="http://127.0.0.1:${PORT}/api"
export PREFECT_SERVER_ANALYTICS_ENABLED=false
# The server's history (flow runs, logs, artifacts) apart from those of `make run` and `make demo`.
export PREFECT_HOME="${PREFECT_HOME:-$PWD/data/prefect-serve}"
mkdir -p "$PREFECT_HOME"
export UNMIG_PROJECT_DIR="${UNMIG_PROJECT_DIR:-$PWD}"
export UNMIG_WORK_POOL="${UNMIG_WORK_POOL:-unmig-process}"

"$BIN/prefect" server start --host 127.0.0.1 --port "$PORT" &
server=$!
trap 'kill $server ${worker:-} 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 120); do
  curl -fsS "$PREFECT_API_URL/health" >/dev/null 2>&1 && break
  sleep 1
done
"$BIN/unmig" db upgrade
# Work pool, prefect.yaml's deployments and automations.yaml's alerts (the tests run it too).
bash scripts/deploy.sh
"$BIN/prefect" worker start --pool "$UNMIG_WORK_POOL" &
worker=$!
echo "Prefect UI: http://127.0.0.1:${PORT}  (Ctrl-C stops the server and the worker)"
wait "$server"
