#!/usr/bin/env bash
# The README quick start, end to end: `CONF_PATH=config/dev.yaml npm start` on a fresh data
# directory, the CLI walkthrough against it, then SIGTERM to that server and exit code 0.
# Ports are free ones (port 0, read back from the "serving" line) and the data directory is a
# temporary one, so that any other orderflow running on this machine (a developer's, another
# clone's CI) is neither disturbed nor signalled: npm start runs in a session of its own, and only
# processes of that session are ever signalled.
set -euo pipefail
cd "$(dirname "$0")/.."

sid=""
data_dir=$(mktemp -d)
log=$(mktemp)
cleanup() {
  # Whatever is left of our own session only (npm, sh, the server), never anything else.
  if [ -n "$sid" ]; then kill -KILL -- "-$sid" 2>/dev/null || true; fi
  rm -rf "$data_dir" "$log"
}
trap cleanup EXIT
export ORDERFLOW_STORE__DATA_DIR="$data_dir/data"
export ORDERFLOW_GRPC__PORT=0 ORDERFLOW_ADMIN__PORT=0
# Spans to stdout: proves tracing works as built and started (node dist/..., ESM, no --import).
export ORDERFLOW_TRACING__EXPORTERS='[{kind: console}]' ORDERFLOW_TRACING__BATCH__SCHEDULED_DELAY_MS=200

# Was dist/ already what the sources build? Then npm start must not build it again.
fresh=$(node --input-type=module -e "console.log((await import('./scripts/build-stamp.js')).staleReason() === undefined)")

# setsid makes npm the leader of a new session (and process group) whose id is its PID ($!).
CONF_PATH=config/dev.yaml setsid npm start >"$log" 2>&1 &
sid=$!
sleep 0.2
[ "$(ps -o sid= -p "$sid" | tr -d ' ')" = "$sid" ] || { echo "smoke: npm start did not get a session of its own" >&2; exit 1; }
serving=""
for _ in $(seq 1 120); do
  serving=$(grep -o 'serving {"grpc":"[^"]*","admin":"[^"]*"' "$log" || true)
  [ -n "$serving" ] && break
  kill -0 "$sid" 2>/dev/null || { cat "$log"; echo "smoke: the server exited during startup" >&2; exit 1; }
  sleep 1
done
[ -n "$serving" ] || { cat "$log"; echo "smoke: no \"serving\" line within 120 s" >&2; exit 1; }
addr=$(sed 's/.*"grpc":"\([^"]*\)".*/\1/' <<<"$serving")
admin=$(sed 's/.*"admin":"\([^"]*\)".*/\1/' <<<"$serving")
# The server is the node process of our session running dist/cmd/server.js.
pid=$(ps -o pid=,args= --sid "$sid" | awk '$2 == "node" && $3 == "dist/cmd/server.js" { print $1 }')
[ "$(wc -w <<<"$pid")" = 1 ] || { ps -o pid,args --sid "$sid"; echo "smoke: expected one server process in session $sid" >&2; exit 1; }
if [ "$fresh" = true ] && grep -q 'orderflow: building dist/' "$log"; then echo "smoke: npm start rebuilt an up-to-date dist/" >&2; exit 1; fi
curl -fsS "http://$admin/health/ready"
echo

cli() { node dist/cli/main.js --addr "$addr" "$@"; }
cli health   # no credentials needed
if cli products list >/dev/null 2>&1 && [ ! -f .orderflow/token ]; then echo "smoke: an unauthenticated call succeeded" >&2; exit 1; fi
npm run --silent token -- --subject smoke >/dev/null
order=$(cli orders create --customer smoke --item espresso-beans-1kg:2 --item ceramic-cup:1 --key smoke-1)
echo "$order"
id=$(printf '%s' "$order" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).order.id))')
cli orders get "$id" | grep -q '"ORDER_STATUS_PENDING"'
cli orders set-status "$id" PAID | grep -q '"ORDER_STATUS_PAID"'
metrics=$(curl -fsS "http://$admin/metrics")
grep -q '^nodejs_heap_size_used_bytes' <<<"$metrics"
grep -q '^grpc_server_handled_total{.*grpc_method="CreateOrder".*grpc_code="OK"} 1' <<<"$metrics"

# The span is exported within the 200 ms batch delay; wait for it rather than for a fixed time.
for _ in $(seq 1 60); do grep -q "name: 'orderflow.orders.v1.OrderService/CreateOrder'" "$log" && break; sleep 0.5; done
grep -q "name: 'orderflow.orders.v1.OrderService/CreateOrder'" "$log" || { echo "smoke: no CreateOrder span was exported" >&2; exit 1; }
# With a trace exporter, the OpenMetrics latency histogram carries the call's trace id.
openmetrics=$(curl -fsS -H 'Accept: application/openmetrics-text' "http://$admin/metrics")
grep -q '^grpc_server_handling_seconds_bucket{.*grpc_method="CreateOrder".*} 1 # {trace_id="[0-9a-f]\{32\}"}' <<<"$openmetrics" \
  || { echo "smoke: no trace-id exemplar on the CreateOrder latency histogram" >&2; exit 1; }

kill -TERM "$pid"
for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "smoke: the server did not stop within 60 s of SIGTERM" >&2; exit 1; fi
code=0
wait "$sid" || code=$?
grep -q 'stopped {.*"exit_code":0' "$log" || { cat "$log"; echo "smoke: no clean stop in the log" >&2; exit 1; }
[ "$code" = 0 ] || { cat "$log"; echo "smoke: npm start exited with $code" >&2; exit 1; }
echo "smoke: quick start OK"
