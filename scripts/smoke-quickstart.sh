#!/usr/bin/env bash
# The README quick start, end to end: `CONF_PATH=config/dev.yaml npm start` on a fresh data
# directory, the CLI walkthrough against it, then SIGTERM to the node process and exit code 0.
# Ports and the data directory are moved aside with ORDERFLOW_* overrides so that a developer's
# own running server is not disturbed.
set -euo pipefail
cd "$(dirname "$0")/.."

pid=""
data_dir=$(mktemp -d)
log=$(mktemp)
trap 'kill -9 "$pid" 2>/dev/null || true; rm -rf "$data_dir" "$log"' EXIT
export ORDERFLOW_STORE__DATA_DIR="$data_dir/data"
export ORDERFLOW_GRPC__PORT=50151 ORDERFLOW_ADMIN__PORT=9564
# Spans to stdout: proves tracing works as built and started (node dist/..., ESM, no --import).
export ORDERFLOW_TRACING__EXPORTERS='[{kind: console}]' ORDERFLOW_TRACING__BATCH__SCHEDULED_DELAY_MS=200
addr=127.0.0.1:50151

CONF_PATH=config/dev.yaml npm start >"$log" 2>&1 &
npm_pid=$!
for _ in $(seq 1 60); do
  curl -fsS http://127.0.0.1:9564/health/ready >/dev/null 2>&1 && break
  kill -0 "$npm_pid" 2>/dev/null || { cat "$log"; echo "smoke: the server exited during startup" >&2; exit 1; }
  sleep 1
done
curl -fsS http://127.0.0.1:9564/health/ready
pid=$(pgrep -f '^node dist/cmd/server.js' | head -n 1)

cli() { node dist/cli/main.js --addr "$addr" "$@"; }
cli health   # no credentials needed
if cli products list >/dev/null 2>&1 && [ ! -f .orderflow/token ]; then echo "smoke: an unauthenticated call succeeded" >&2; exit 1; fi
npm run --silent token -- --subject smoke >/dev/null
order=$(cli orders create --customer smoke --item espresso-beans-1kg:2 --item ceramic-cup:1 --key smoke-1)
echo "$order"
id=$(printf '%s' "$order" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).order.id))')
cli orders get "$id" | grep -q '"ORDER_STATUS_PENDING"'
cli orders set-status "$id" PAID | grep -q '"ORDER_STATUS_PAID"'
metrics=$(curl -fsS http://127.0.0.1:9564/metrics)
grep -q '^nodejs_heap_size_used_bytes' <<<"$metrics"
grep -q '^grpc_server_handled_total{.*grpc_method="CreateOrder".*grpc_code="OK"} 1' <<<"$metrics"

sleep 1
grep -q "name: 'orderflow.orders.v1.OrderService/CreateOrder'" "$log" || { echo "smoke: no CreateOrder span was exported" >&2; exit 1; }

kill -TERM "$pid"
code=0
for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
wait "$npm_pid" || code=$?
if kill -0 "$pid" 2>/dev/null; then echo "smoke: the server did not stop after SIGTERM" >&2; exit 1; fi
grep -q '"exit_code":0\|exit_code.*0' "$log" || { cat "$log"; echo "smoke: no clean stop in the log" >&2; exit 1; }
echo "smoke: quick start OK (npm exit code $code)"
