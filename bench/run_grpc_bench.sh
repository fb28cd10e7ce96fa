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

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build"
DURATION=10
RUNS=1
SCENARIOS="a b bw c"
BUILD=1
PIN=1
KEEP=0
EVENT_BYTES="${EVENT_BYTES:-150}"
WINDOW="${WINDOW:-64}"
WIDE_WINDOW="${WIDE_WINDOW:-1024}"
DEVICES="${DEVICES:-100}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --scenarios) SCENARIOS="$2"; shift 2 ;;
    --build-dir) BUILD_DIR="$(realpath -m "$2")"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-pin) PIN=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

GATEWAY="$BUILD_DIR/bin/streamgate"
LOAD="$BUILD_DIR/bin/streamgate-load"

if [[ $BUILD -eq 1 ]]; then
  if [[ ! -f "$BUILD_DIR/build.ninja" && ! -f "$BUILD_DIR/Makefile" ]]; then
    generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    cmake -S "$ROOT" -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")"
  if [[ "$build_type" != "Release" ]]; then
    echo "warning: $BUILD_DIR is a '$build_type' build; numbers are for Release" >&2
  fi
  cmake --build "$BUILD_DIR" --target streamgate streamgate-load -j"$(nproc)"
fi
for bin in "$GATEWAY" "$LOAD"; do
  [[ -x "$bin" ]] || { echo "missing $bin (build it or drop --no-build)" >&2; exit 1; }
done

# Gateway and client on different cores so they do not preempt each other.
GW_PIN=(); CLIENT_PIN=()
if [[ $PIN -eq 1 ]] && command -v taskset >/dev/null && [[ "$(nproc)" -ge 2 ]]; then
  GW_PIN=(taskset -c 0); CLIENT_PIN=(taskset -c 1)
fi
CLIENT_TIME=()
[[ -x /usr/bin/time ]] && CLIENT_TIME=(/usr/bin/time -f "CLIENT_CPU %U %S")

WORK="$(mktemp -d /tmp/streamgate-bench.XXXXXX)"
GW_PID=""
cleanup() {
  if [[ -n "$GW_PID" ]] && kill -0 "$GW_PID" 2>/dev/null; then
    kill -TERM "$GW_PID" 2>/dev/null || true
    wait "$GW_PID" 2>/dev/null || true
  fi
  if [[ $KEEP -eq 0 ]]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# utime+stime of a process, in clock ticks (fields 14 and 15 of
# /proc/PID/stat, counted after the ')' that ends the command name).
cpu_ticks() {
  local stat
  stat="$(cat "/proc/$1/stat")"
  stat="${stat##*) }"
  awk '{ print $12 + $13 }' <<<"$stat"
}

vm_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

line_count() { if [[ -f "$1" ]]; then wc -l <"$1"; else echo 0; fi; }

field() {  # field NAME < RESULT line
  tr ' ' '\n' | sed -n "s/^$1=//p"
}

write_config() {  # write_config FILE PORT SINK_PATH
  {
    echo "grpc: {listen: \"127.0.0.1:$2\"}"
    echo "devices:"
    for ((d = 1; d <= DEVICES; d++)); do
      echo "  - {id: $d, home_id: $(((d - 1) / 10 + 1)), class: sensor}"
    done
    echo "modules:"
    echo "  - id: bench"
    echo "    subscribe_events: [\"*\"]"
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

CLK_TCK="$(getconf CLK_TCK)"
RESULTS="$WORK/results.txt"
: >"$RESULTS"
FAILED=0

# run_once SCENARIO RUN: one fresh gateway, one load run; appends a line of
# "scenario events_per_s cpu_us_per_event p50 p99 rss_mb client_cpu_us lost".
run_once() {
  local sc="$1" run="$2" dir="$WORK/$1-$2"
  mkdir -p "$dir"
  local port sink="$dir/out.jsonl"
  port="$(free_port)"
  write_config "$dir/config.yaml" "$port" "$sink"
  "${GW_PIN[@]}" "$GATEWAY" --config "$dir/config.yaml" >"$dir/gateway.log" 2>&1 &
  GW_PID=$!
  for ((i = 0; i < 100; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    kill -0 "$GW_PID" 2>/dev/null || { echo "gateway exited:"; cat "$dir/gateway.log"; exit 1; }
    sleep 0.1
  done

  local cpu0 cpu1 rc=0
  cpu0="$(cpu_ticks "$GW_PID")"
  # shellcheck disable=SC2046
  "${CLIENT_PIN[@]}" "${CLIENT_TIME[@]}" "$LOAD" --target "127.0.0.1:$port" \
    $(scenario_args "$sc") --duration "$DURATION" --event-bytes "$EVENT_BYTES" \
    --devices "$DEVICES" >"$dir/load.out" 2>"$dir/load.err" || rc=$?
  local result acked
  result="$(grep '^RESULT ' "$dir/load.out" || true)"
  acked="$(field events_acked <<<"$result")"
  acked="${acked:-0}"
  # Let the sink write out what was acked before reading the CPU counters:
  # the work of writing the events belongs to them.
  local lines prev=-1 stable=0
  for ((i = 0; i < 100; i++)); do
    lines="$(line_count "$sink")"
    [[ "$lines" -ge "$acked" ]] && break
    if [[ "$lines" -eq "$prev" ]]; then stable=$((stable + 1)); else stable=0; fi
    [[ $stable -ge 10 ]] && break
    prev="$lines"
    sleep 0.2
  done
  cpu1="$(cpu_ticks "$GW_PID")"
  local hwm
  hwm="$(vm_hwm_kb "$GW_PID")"

  local gw_rc=0
  kill -TERM "$GW_PID"
  wait "$GW_PID" || gw_rc=$?
  GW_PID=""
  lines="$(line_count "$sink")"
  # Rotated files (none with this config, but be exact if a default rotates).
  for f in "$sink".*; do
    if [[ -f "$f" ]]; then lines=$((lines + $(wc -l <"$f"))); fi
  done

  local eps p50 p99 cpu_us client_us="-"
  eps="$(field events_per_s <<<"$result")"
  p50="$(field p50_us <<<"$result")"
  p99="$(field p99_us <<<"$result")"
  cpu_us="$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$acked" \
    'BEGIN { printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0) }')"
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
  if [[ $rc -ne 0 || -z "$result" || $gw_rc -ne 0 || $lines -ne $acked ]]; then
    echo "    FAILED: load exit $rc, gateway exit $gw_rc, sink lines $lines != acked $acked" >&2
    tail -n 5 "$dir/load.err" "$dir/gateway.log" >&2 || true
    FAILED=1
  fi
  echo "$sc ${eps:-0} $cpu_us ${p50:-0} ${p99:-0} $((hwm / 1024)) $client_us $lost" >>"$RESULTS"
  [[ $KEEP -eq 1 ]] || rm -f "$sink" "$sink".*
}

echo "gateway $GATEWAY, client $LOAD; ${DURATION}s per run, $RUNS run(s);" \
  "pinning: ${GW_PIN[*]:-none} / ${CLIENT_PIN[*]:-none}; events ~$EVENT_BYTES bytes"
for sc in $SCENARIOS; do
  echo "== $(scenario_title "$sc")"
  for ((r = 1; r <= RUNS; r++)); do run_once "$sc" "$r"; done
done

median() {  # median COLUMN SCENARIO
  awk -v s="$2" -v c="$1" '$1 == s { print $c }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
          else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "Medians of $RUNS run(s), ${DURATION}s each:"
echo
echo "| scenario | events/s | gateway CPU us/event | p50 ack | p99 ack | gateway peak RSS | client CPU us/event | lost |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for sc in $SCENARIOS; do
  printf '| %s | %.0f | %.2f | %.0f us | %.0f us | %s MB | %s | %s |\n' "$(scenario_title "$sc")" \
    "$(median 2 "$sc")" "$(median 3 "$sc")" "$(median 4 "$sc")" "$(median 5 "$sc")" \
    "$(median 6 "$sc")" "$(median 7 "$sc")" \
    "$(awk -v s="$sc" '$1 == s { t += $8 } END { print t + 0 }' "$RESULTS")"
done
exit $FAILED
