#!/usr/bin/env bash
# Benchmarks the durable spool against the memory queue on the same load
# (issue 5, "Performance"): streamgate-load sends batches of 100 ~150-byte
# events per Publish message (window 64) to a gateway whose one module writes
# to a file sink, in three variants run side by side in every round:
#   memory   no spool section (memory queue)
#   spool10  spool: {fsync: 10}      (background fdatasync every 10 ms)
#   always   spool: {fsync: always}  (ack after a group-commit fdatasync)
# For each: acked events/s, p50/p99 ack latency, gateway CPU us per event
# (utime+stime over the run, read once the sink has written everything
# acked), peak RSS (VmHWM), and events lost (acked minus sink lines after
# SIGTERM). The summary prints medians and
# each spool variant's events/s as a percentage of memory's (target for
# spool10: >= 70%).
#
# Usage: bench/run_spool_bench.sh [--duration S] [--runs N] [--build-dir DIR]
#            [--variants "memory spool10 always"] [--no-build] [--no-pin] [--keep]
# Environment: EVENT_BYTES (150), BATCH (100), WINDOW (64), DEVICES (100),
#   SPOOL_ROOT (directory for the spool dirs; default the temp work dir,
#   i.e. the filesystem of /tmp — fsync cost depends on it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build"
DURATION=10
RUNS=3
VARIANTS="memory spool10 always"
BUILD=1
PIN=1
KEEP=0
EVENT_BYTES="${EVENT_BYTES:-150}"
BATCH="${BATCH:-100}"
WINDOW="${WINDOW:-64}"
DEVICES="${DEVICES:-100}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --variants) VARIANTS="$2"; shift 2 ;;
    --build-dir) BUILD_DIR="$(realpath -m "$2")"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-pin) PIN=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
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
  cmake --build "$BUILD_DIR" --target streamgate streamgate-load -j"$(nproc)"
fi
for bin in "$GATEWAY" "$LOAD"; do
  [[ -x "$bin" ]] || { echo "missing $bin (build it or drop --no-build)" >&2; exit 1; }
done

GW_PIN=(); CLIENT_PIN=()
if [[ $PIN -eq 1 ]] && command -v taskset >/dev/null && [[ "$(nproc)" -ge 2 ]]; then
  GW_PIN=(taskset -c 0); CLIENT_PIN=(taskset -c 1)
fi

WORK="$(mktemp -d /tmp/streamgate-spool-bench.XXXXXX)"
SPOOL_ROOT="${SPOOL_ROOT:-$WORK}"
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
cpu_ticks() {
  local stat
  stat="$(cat "/proc/$1/stat")"
  stat="${stat##*) }"
  awk '{ print $12 + $13 }' <<<"$stat"
}
vm_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
line_count() { if [[ -f "$1" ]]; then wc -l <"$1"; else echo 0; fi; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

write_config() {  # write_config FILE PORT SINK_PATH VARIANT SPOOL_DIR
  {
    echo "grpc: {listen: \"127.0.0.1:$2\"}"
    echo "shutdown_timeout_ms: 60000"
    echo "devices:"
    for ((d = 1; d <= DEVICES; d++)); do
      echo "  - {id: $d, home_id: $(((d - 1) / 10 + 1)), class: sensor}"
    done
    echo "modules:"
    echo "  - id: bench"
    echo "    subscribe_events: [\"*\"]"
    echo "    sink: {type: file, path: $3}"
    case "$4" in
      memory) ;;
      spool10) echo "    spool: {dir: \"$5\", fsync: 10}" ;;
      always) echo "    spool: {dir: \"$5\", fsync: always}" ;;
      *) echo "unknown variant $4" >&2; exit 2 ;;
    esac
  } >"$1"
}

title() {
  case "$1" in
    memory) echo "memory queue" ;;
    spool10) echo "spool, fsync: 10 (interval ms)" ;;
    always) echo "spool, fsync: always" ;;
  esac
}

CLK_TCK="$(getconf CLK_TCK)"
RESULTS="$WORK/results.txt"
: >"$RESULTS"
FAILED=0

# run_once VARIANT RUN: appends "variant eps p50 p99 cpu_us rss_mb lost".
run_once() {
  local v="$1" run="$2" dir="$WORK/$1-$2"
  mkdir -p "$dir"
  local port sink="$dir/out.jsonl" spool="$SPOOL_ROOT/spool-$1-$2"
  port="$(free_port)"
  write_config "$dir/config.yaml" "$port" "$sink" "$v" "$spool"
  "${GW_PIN[@]}" "$GATEWAY" --config "$dir/config.yaml" >"$dir/gateway.log" 2>&1 &
  GW_PID=$!
  for ((i = 0; i < 100; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    kill -0 "$GW_PID" 2>/dev/null || { echo "gateway exited:"; cat "$dir/gateway.log"; exit 1; }
    sleep 0.1
  done
  local cpu0 cpu1 rc=0
  cpu0="$(cpu_ticks "$GW_PID")"
  "${CLIENT_PIN[@]}" "$LOAD" --target "127.0.0.1:$port" --mode batch \
    --batch "$BATCH" --window "$WINDOW" --duration "$DURATION" \
    --event-bytes "$EVENT_BYTES" --devices "$DEVICES" \
    >"$dir/load.out" 2>"$dir/load.err" || rc=$?
  local result acked lines prev=-1 stable=0
  result="$(grep '^RESULT ' "$dir/load.out" || true)"
  acked="$(field events_acked <<<"$result")"
  acked="${acked:-0}"
  for ((i = 0; i < 150; i++)); do
    lines="$(line_count "$sink")"
    [[ "$lines" -ge "$acked" ]] && break
    if [[ "$lines" -eq "$prev" ]]; then stable=$((stable + 1)); else stable=0; fi
    [[ $stable -ge 10 ]] && break
    prev="$lines"
    sleep 0.2
  done
  cpu1="$(cpu_ticks "$GW_PID")"
  local hwm gw_rc=0
  hwm="$(vm_hwm_kb "$GW_PID")"
  kill -TERM "$GW_PID"
  wait "$GW_PID" || gw_rc=$?
  GW_PID=""
  lines="$(line_count "$sink")"
  local eps p50 p99 cpu_us
  eps="$(field events_per_s <<<"$result")"
  p50="$(field p50_us <<<"$result")"
  p99="$(field p99_us <<<"$result")"
  cpu_us="$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$acked" \
    'BEGIN { printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0) }')"
  echo "  $(title "$v") run $run: $(sed -n '1p' "$dir/load.out")"
  echo "    gateway $cpu_us us/event, peak RSS $((hwm / 1024)) MB, exit $gw_rc;" \
    "sink $lines lines for $acked acked"
  # The sink may hold more than was acked (a message in flight at the end of
  # the load is written but its ack never read), never less.
  local lost=$((acked > lines ? acked - lines : 0))
  if [[ $rc -ne 0 || -z "$result" || $gw_rc -ne 0 || $lost -ne 0 ]]; then
    echo "    FAILED: load exit $rc, gateway exit $gw_rc, sink lines $lines, acked $acked" >&2
    tail -n 5 "$dir/load.err" "$dir/gateway.log" >&2 || true
    FAILED=1
  fi
  echo "$v ${eps:-0} ${p50:-0} ${p99:-0} $cpu_us $((hwm / 1024)) $lost" >>"$RESULTS"
  if [[ $KEEP -eq 0 ]]; then rm -rf "$sink" "$spool"; fi
}

echo "gateway $GATEWAY; ${DURATION}s per run, $RUNS round(s) of: $VARIANTS;" \
  "pinning: ${GW_PIN[*]:-none} / ${CLIENT_PIN[*]:-none}; batches of $BATCH" \
  "~$EVENT_BYTES-byte events, window $WINDOW; spool dirs under $SPOOL_ROOT" \
  "($(df -T "$SPOOL_ROOT" | awk 'NR == 2 { print $2 }'))"
# Rounds interleave the variants so a change in the machine's load hits all
# of them alike.
for ((r = 1; r <= RUNS; r++)); do
  echo "== round $r"
  for v in $VARIANTS; do run_once "$v" "$r"; done
done

median() {  # median COLUMN VARIANT
  awk -v s="$2" -v c="$1" '$1 == s { print $c }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2];
          else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

MEM_EPS="$(median 2 memory)"
echo
echo "Medians of $RUNS run(s), ${DURATION}s each:"
echo
echo "| variant | events/s | vs memory | p50 ack | p99 ack | gateway CPU us/event | peak RSS | lost |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for v in $VARIANTS; do
  eps="$(median 2 "$v")"
  pct="$(awk -v a="$eps" -v b="$MEM_EPS" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }')"
  printf '| %s | %.0f | %s | %.1f ms | %.1f ms | %.2f | %s MB | %s |\n' "$(title "$v")" \
    "$eps" "$pct" "$(awk -v x="$(median 3 "$v")" 'BEGIN { print x / 1000 }')" \
    "$(awk -v x="$(median 4 "$v")" 'BEGIN { print x / 1000 }')" \
    "$(median 5 "$v")" "$(median 6 "$v")" \
    "$(awk -v s="$v" '$1 == s { t += $7 } END { print t + 0 }' "$RESULTS")"
done
exit $FAILED
