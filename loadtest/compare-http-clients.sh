#!/usr/bin/env bash
# Compares the load generator's two HTTP/1.1 clients (--http-client netty, its own; vertx, Vert.x's)
# in open loop against one gateway serving recommender_floor (a model that does nothing), the
# gateway pinned to the last core and the generator to the others: per rate and client, the
# loadtest row (answers, latency, the generator's cores, INVALID when it fell behind its schedule)
# and the generator's CPU microseconds per offered request.
#
#   loadtest/compare-http-clients.sh [RATE ...]        (default: 10000 20000)
#
# Environment: CONNECTIONS (2000), DURATION (5s), WARMUP (2s), PORT (18000; PORT+1, PORT+2 too).
# Needs taskset and at least two cores. Quote `uptime`'s load average beside the figures.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONNECTIONS="${CONNECTIONS:-2000}"
DURATION="${DURATION:-5s}"
WARMUP="${WARMUP:-2s}"
PORT="${PORT:-18000}"
RATES=("$@")
[[ ${#RATES[@]} -gt 0 ]] || RATES=(10000 20000)

cores="$(nproc)"
if [[ "$cores" -lt 2 ]] || ! command -v taskset >/dev/null 2>&1; then
  echo "compare-http-clients: needs taskset and two cores (this machine: $cores)" >&2
  exit 2
fi
gateway_cores="$((cores - 1))"
generator_cores="0-$((cores - 2))"
[[ "$cores" -gt 2 ]] || generator_cores=0

"$ROOT/neutrino" loadtest --version >/dev/null # builds first when the jars are missing or stale
log="$(mktemp)"
taskset -c "$gateway_cores" "$ROOT/neutrino" serve --http-port "$PORT" --grpc-port "$((PORT + 1))" \
  --metrics-port "$((PORT + 2))" --model-control-mode explicit --load-model recommender_floor >"$log" 2>&1 &
gateway=$!
trap 'kill "$gateway" 2>/dev/null; wait "$gateway" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$PORT/v2/models/recommender_floor/ready" >/dev/null 2>&1; then
    break
  fi
  kill -0 "$gateway" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.5
done

# One discarded run first, so that the first client measured does not meet a gateway still compiling.
taskset -c "$generator_cores" "$ROOT/neutrino" loadtest --url "http://127.0.0.1:$PORT" --model recommender_floor \
  --rate "${RATES[0]}" --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP" >/dev/null
echo "gateway on core(s) $gateway_cores, generator on core(s) $generator_cores, $CONNECTIONS connections; $(uptime)"
for rate in "${RATES[@]}"; do
  for client in netty vertx; do
    row="$(taskset -c "$generator_cores" "$ROOT/neutrino" loadtest --url "http://127.0.0.1:$PORT" \
      --model recommender_floor --rate "$rate" --connections "$CONNECTIONS" --duration "$DURATION" \
      --warmup "$WARMUP" --http-client "$client" | awk '$1 ~ /^[0-9]+$/ { print }' | tail -1)"
    # The row's 13th column is the generator's CPU use in cores (the 14th after the client's name).
    echo "$client $row" | awk -v rate="$rate" \
      '{ printf "%-5s %s\n      generator: %.1f us of CPU per offered request\n", $1, substr($0, 7), $14 * 1e6 / rate }'
  done
done
echo "$(uptime)"
