#!/usr/bin/env bash
# Benchmarks the gateway's gRPC ingest into a file sink (issue 2,
# "Performance"): (a) unary PublishEvent, 64 in flight; (b) the Publish
# stream, one event per message; (c) the Publish stream, 100 events per
# message. For each: events/s, gateway CPU us per event (utime+stime from
# /proc/PID/stat), p50/p99 ack latency, gateway peak RSS (VmHWM), and a check
# that the file sink holds exactly as many lines as events were acked.
#
# Scenario "bw" is (b) with a wide send window (WIDE_WINDOW messages).
#
# Usage: bench/run_grpc_bench.sh [--duration S] [--runs N] [--scenarios "a b bw c"]
#            [--build-dir DIR] [--no-build] [--no-pin] [--keep]
# Environment: EVENT_BYTES (150), WINDOW (64), WIDE_WINDOW (1024), DEVICES (100).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=10
RUNS=1
SCENARIOS="a b bw c"
WIDE_WINDOW="${WIDE_WINDOW:-1024}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --scenarios) SCENARIOS="$2"; shift 2 ;;
    *) bench_common_arg "$@"; shift "$BENCH_SHIFT" ;;
  esac
done

bench_build streamgate streamgate-load
bench_pins
CLIENT_TIME=()
[[ -x /usr/bin/time ]] && CLIENT_TIME=(/usr/bin/time -f "CLIENT_CPU %U %S")
bench_make_work streamgate-bench

write_config() {  # write_config FILE PORT SINK_PATH
  {
    echo "grpc: {listen: \"127.0.0.1:$2\"}"
    bench_devices "$DEVICES"
    bench_module_head bench
    echo "    sink: {type: file, path: $3}"
  } >"$1"
}

scenario_args() {
  case "$1" in
    a) echo "--mode unary --inflight 64" ;;
    b) echo "--mode stream --window $WINDOW" ;;
    bw) echo "--mode stream --window $WIDE_WINDOW" ;;
    c) echo "--mode batch --batch 100 --window $WINDOW" ;;
    *) echo "unknown scenario $1" >&2; exit 2 ;;
  esac
}

scenario_title() {
  case "$1" in
    a) echo "(a) unary PublishEvent, 64 in flight" ;;
    b) echo "(b) Publish stream, 1 event/message, window $WINDOW" ;;
    bw) echo "(b) Publish stream, 1 event/message, window $WIDE_WINDOW" ;;
    c) echo "(c) Publish stream, 100 events/message, window $WINDOW" ;;
  esac
}

# run_once SCENARIO RUN: one fresh gateway, one load run; appends a line of
# "scenario events_per_s cpu_us_per_event p50 p99 rss_mb client_cpu_us lost".
run_once() {
  local sc="$1" run="$2" dir="$WORK/$1-$2"
  mkdir -p "$dir"
  local port sink="$dir/out.jsonl"
  port="$(free_port)"
  write_config "$dir/config.yaml" "$port" "$sink"
  bench_start_gateway "$dir/config.yaml" "$port" "$dir/gateway.log"

  local cpu0 cpu1 rc=0
  cpu0="$(cpu_ticks "$GW_PID")"
  # shellcheck disable=SC2046
  "${CLIENT_PIN[@]}" "${CLIENT_TIME[@]}" "$LOAD" --target "127.0.0.1:$port" \
    $(scenario_args "$sc") --duration "$DURATION" --event-bytes "$EVENT_BYTES" \
    --devices "$DEVICES" >"$dir/load.out" 2>"$dir/load.err" || rc=$?
  bench_read_result "$dir/load.out"
  local acked="$ACKED"
  bench_wait_delivered "$acked" 100 10 line_count "$sink"
  cpu1="$(cpu_ticks "$GW_PID")"
  local hwm
  hwm="$(vm_hwm_kb "$GW_PID")"

  bench_stop_gateway
  local gw_rc="$GW_RC" lines
  lines="$(line_count "$sink")"
  # Rotated files (none with this config, but be exact if a default rotates).
  for f in "$sink".*; do
    if [[ -f "$f" ]]; then lines=$((lines + $(wc -l <"$f"))); fi
  done

  local cpu_us client_us="-"
  cpu_us="$(bench_us_per $((cpu1 - cpu0)) "$acked")"
  local cc
  cc="$(sed -n 's/^CLIENT_CPU //p' "$dir/load.err")"
  if [[ -n "$cc" ]]; then
    client_us="$(awk -v n="$acked" -v c="$cc" \
      'BEGIN { split(c, a, " "); printf "%.2f", (n > 0 ? (a[1] + a[2]) * 1e6 / n : 0) }')"
  fi
  local sample_bytes
  sample_bytes="$(head -n 1000 "$sink" 2>/dev/null | /usr/bin/python3 -c '
import sys, json, base64
n = t = 0
for line in sys.stdin:
    t += len(base64.b64decode(json.loads(line)["data"])); n += 1
print(t // n if n else 0)')"

  sed -n '1p' "$dir/load.out"
  echo "    gateway: $(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }') s CPU," \
    "$cpu_us us/event, peak RSS $((hwm / 1024)) MB, exit $gw_rc; client $client_us us/event;" \
    "sink $lines lines for $acked acked; record ~$sample_bytes bytes"
  local lost=$((acked - lines))
  if [[ $rc -ne 0 || -z "$RESULT" || $gw_rc -ne 0 || $lines -ne $acked ]]; then
    bench_fail "$dir" "load exit $rc, gateway exit $gw_rc, sink lines $lines != acked $acked"
  fi
  echo "$sc ${EPS:-0} $cpu_us ${P50:-0} ${P99:-0} $((hwm / 1024)) $client_us $lost" >>"$RESULTS"
  [[ $KEEP -eq 1 ]] || rm -f "$sink" "$sink".*
}

echo "gateway $GATEWAY, client $LOAD; ${DURATION}s per run, $RUNS run(s);" \
  "pinning: ${GW_PIN[*]:-none} / ${CLIENT_PIN[*]:-none}; events ~$EVENT_BYTES bytes"
for sc in $SCENARIOS; do
  echo "== $(scenario_title "$sc")"
  for ((r = 1; r <= RUNS; r++)); do run_once "$sc" "$r"; done
done

echo
echo "Medians of $RUNS run(s), ${DURATION}s each:"
echo
echo "| scenario | events/s | gateway CPU us/event | p50 ack | p99 ack | gateway peak RSS | client CPU us/event | lost |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for sc in $SCENARIOS; do
  printf '| %s | %.0f | %.2f | %.0f us | %.0f us | %s MB | %s | %s |\n' "$(scenario_title "$sc")" \
    "$(bench_median 2 "$sc")" "$(bench_median 3 "$sc")" "$(bench_median 4 "$sc")" \
    "$(bench_median 5 "$sc")" "$(bench_median 6 "$sc")" "$(bench_median 7 "$sc")" \
    "$(awk -v s="$sc" '$1 == s { t += $8 } END { print t + 0 }' "$RESULTS")"
done
exit $FAILED
