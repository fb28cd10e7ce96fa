#!/usr/bin/env bash
# Benchmarks the gateway's Kinesis sink path against its file sink path on
# the same load (issue 3, "Performance"): streamgate-load sends batches of
# 100 ~150-byte events per Publish message; each run starts, one after the
# other, (file) a gateway writing to a file sink and (kinesis) a gateway whose
# one module is a Kinesis sink pointed at bench/kinesis_null's
# streamgate-kinesis-null. For each path: acked records/s, gateway CPU us per
# record (utime+stime from /proc/PID/stat, read once the sink has delivered
# everything acked), ack p50/p99, gateway peak RSS (VmHWM), records lost; for
# the Kinesis path also the null endpoint's sampled latency from the
# gateway's receive timestamp to PutRecords arrival (p50/p99) and its own CPU.
# The last table line is the Kinesis/file CPU ratio (target <= 1.25).
#
# Usage: bench/run_kinesis_bench.sh [--duration S] [--runs N] [--build-dir DIR]
#            [--no-build] [--no-pin] [--keep] [--perf]
# Environment: EVENT_BYTES (150), BATCH (100), WINDOW (64), DEVICES (100),
#   KINESIS_SINK_EXTRA (extra YAML flow-map entries for the kinesis sink,
#   e.g. "linger_ms: 20, max_in_flight: 16").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build"
DURATION=10
RUNS=1
BUILD=1
PIN=1
KEEP=0
PERF=0
EVENT_BYTES="${EVENT_BYTES:-150}"
BATCH="${BATCH:-100}"
WINDOW="${WINDOW:-64}"
DEVICES="${DEVICES:-100}"
KINESIS_SINK_EXTRA="${KINESIS_SINK_EXTRA:-}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --build-dir) BUILD_DIR="$(realpath -m "$2")"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-pin) PIN=0; shift ;;
    --keep) KEEP=1; shift ;;
    --perf) PERF=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

GATEWAY="$BUILD_DIR/bin/streamgate"
LOAD="$BUILD_DIR/bin/streamgate-load"
NULL_EP="$BUILD_DIR/bin/streamgate-kinesis-null"

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
  cmake --build "$BUILD_DIR" --target streamgate streamgate-load streamgate-kinesis-null \
    -j"$(nproc)"
fi
for bin in "$GATEWAY" "$LOAD" "$NULL_EP"; do
  [[ -x "$bin" ]] || { echo "missing $bin (build it or drop --no-build)" >&2; exit 1; }
done

# Gateway on core 0; client and null endpoint share core 1 (the endpoint
# costs a small fraction of the gateway's CPU per record; it is reported).
GW_PIN=(); CLIENT_PIN=()
if [[ $PIN -eq 1 ]] && command -v taskset >/dev/null && [[ "$(nproc)" -ge 2 ]]; then
  GW_PIN=(taskset -c 0); CLIENT_PIN=(taskset -c 1)
fi

WORK="$(mktemp -d /tmp/streamgate-kinesis-bench.XXXXXX)"
GW_PID=""
NULL_PID=""
cleanup() {
  for pid in "$GW_PID" "$NULL_PID"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [[ $KEEP -eq 0 ]]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

cpu_ticks() {  # utime+stime of a process in clock ticks (/proc/PID/stat 14+15)
  local stat
  stat="$(cat "/proc/$1/stat")"
  stat="${stat##*) }"
  awk '{ print $12 + $13 }' <<<"$stat"
}

vm_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
line_count() { if [[ -f "$1" ]]; then wc -l <"$1"; else echo 0; fi; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }  # field NAME < key=value line

null_total() {  # records the null endpoint has counted so far
  local v
  v="$(grep '^interval ' "$1" 2>/dev/null | tail -n 1 | field total_records)"
  echo "${v:-0}"
}

write_config() {  # write_config FILE PORT file|kinesis SINK_PATH|ENDPOINT_URL
  {
    echo "grpc: {listen: \"127.0.0.1:$2\"}"
    echo "devices:"
    for ((d = 1; d <= DEVICES; d++)); do
      echo "  - {id: $d, home_id: $(((d - 1) / 10 + 1)), class: sensor}"
    done
    echo "modules:"
    echo "  - id: bench"
    echo "    subscribe_events: [\"*\"]"
    if [[ "$3" == file ]]; then
      echo "    sink: {type: file, path: $4}"
    else
      echo "    sink: {type: kinesis, region: us-east-1, stream_name: bench," \
        "endpoint: \"$4\"${KINESIS_SINK_EXTRA:+, $KINESIS_SINK_EXTRA}}"
    fi
  } >"$1"
}

CLK_TCK="$(getconf CLK_TCK)"
RESULTS="$WORK/results.txt"
: >"$RESULTS"
FAILED=0

# run_once PATH RUN: appends "path records_per_s cpu_us p50 p99 rss_mb lost
# lat_p50_us lat_p99_us null_cpu_us" to RESULTS.
run_once() {
  local path="$1" run="$2" dir="$WORK/$1-$2"
  mkdir -p "$dir"
  local port sink="$dir/out.jsonl" null_out="$dir/null.out" target
  port="$(free_port)"
  if [[ "$path" == kinesis ]]; then
    "${CLIENT_PIN[@]}" "$NULL_EP" --port 0 --stats-interval 0.2 >"$null_out" 2>&1 &
    NULL_PID=$!
    for ((i = 0; i < 50; i++)); do
      grep -q '^listening ' "$null_out" 2>/dev/null && break
      sleep 0.05
    done
    target="http://$(sed -n 's/^listening //p' "$null_out")"
    write_config "$dir/config.yaml" "$port" kinesis "$target"
  else
    write_config "$dir/config.yaml" "$port" file "$sink"
  fi
  AWS_ACCESS_KEY_ID=AKIDBENCHMARK AWS_SECRET_ACCESS_KEY=bench-dummy-secret \
    AWS_EC2_METADATA_DISABLED=true \
    "${GW_PIN[@]}" "$GATEWAY" --config "$dir/config.yaml" >"$dir/gateway.log" 2>&1 &
  GW_PID=$!
  for ((i = 0; i < 100; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    kill -0 "$GW_PID" 2>/dev/null || { echo "gateway exited:"; cat "$dir/gateway.log"; exit 1; }
    sleep 0.1
  done

  local perf_pid=""
  if [[ $PERF -eq 1 && "$path" == kinesis ]] && command -v perf >/dev/null; then
    perf record -g -o "$dir/perf.data" -p "$GW_PID" -- sleep "$DURATION" \
      >"$dir/perf.log" 2>&1 &
    perf_pid=$!
  fi
  local cpu0 cpu1 null0=0 null1=0 rc=0
  cpu0="$(cpu_ticks "$GW_PID")"
  [[ -n "$NULL_PID" ]] && null0="$(cpu_ticks "$NULL_PID")"
  "${CLIENT_PIN[@]}" "$LOAD" --target "127.0.0.1:$port" --mode batch --batch "$BATCH" \
    --window "$WINDOW" --duration "$DURATION" --event-bytes "$EVENT_BYTES" \
    --devices "$DEVICES" >"$dir/load.out" 2>"$dir/load.err" || rc=$?
  local result acked
  result="$(grep '^RESULT ' "$dir/load.out" || true)"
  acked="$(field events_acked <<<"$result")"
  acked="${acked:-0}"
  # Wait until the sink has delivered what was acked: its work belongs to
  # the CPU per record.
  local delivered prev=-1 stable=0
  for ((i = 0; i < 300; i++)); do
    if [[ "$path" == kinesis ]]; then delivered="$(null_total "$null_out")"
    else delivered="$(line_count "$sink")"; fi
    [[ "$delivered" -ge "$acked" ]] && break
    if [[ "$delivered" -eq "$prev" ]]; then stable=$((stable + 1)); else stable=0; fi
    [[ $stable -ge 25 ]] && break
    prev="$delivered"
    sleep 0.2
  done
  cpu1="$(cpu_ticks "$GW_PID")"
  [[ -n "$NULL_PID" ]] && null1="$(cpu_ticks "$NULL_PID")"
  local hwm
  hwm="$(vm_hwm_kb "$GW_PID")"
  [[ -n "$perf_pid" ]] && wait "$perf_pid" 2>/dev/null || true

  local gw_rc=0
  kill -TERM "$GW_PID"
  wait "$GW_PID" || gw_rc=$?
  GW_PID=""
  local lat50="-" lat99="-" null_us="-" final=""
  if [[ "$path" == kinesis ]]; then
    kill -TERM "$NULL_PID"
    wait "$NULL_PID" || true
    NULL_PID=""
    final="$(grep '^NULL_KINESIS ' "$null_out" || true)"
    delivered="$(field records <<<"$final")"
    delivered="${delivered:-0}"
    lat50="$(field latency_p50_us <<<"$final")"
    lat99="$(field latency_p99_us <<<"$final")"
    null_us="$(awk -v t=$((null1 - null0)) -v hz="$CLK_TCK" -v n="$acked" \
      'BEGIN { printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0) }')"
  else
    delivered="$(line_count "$sink")"
    for f in "$sink".*; do
      if [[ -f "$f" ]]; then delivered=$((delivered + $(wc -l <"$f"))); fi
    done
  fi

  local eps p50 p99 cpu_us
  eps="$(field events_per_s <<<"$result")"
  p50="$(field p50_us <<<"$result")"
  p99="$(field p99_us <<<"$result")"
  cpu_us="$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$acked" \
    'BEGIN { printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0) }')"
  sed -n '1p' "$dir/load.out"
  echo "    $path: gateway $cpu_us us/record, peak RSS $((hwm / 1024)) MB, exit $gw_rc;" \
    "delivered $delivered of $acked acked${final:+; null endpoint $null_us us/record,}" \
    "${final:+receive->PutRecords p50 ${lat50} us p99 ${lat99} us}"
  local lost=$((acked - delivered))
  if [[ $rc -ne 0 || -z "$result" || $gw_rc -ne 0 || $delivered -ne $acked ]]; then
    echo "    FAILED: load exit $rc, gateway exit $gw_rc, delivered $delivered != acked $acked" >&2
    tail -n 5 "$dir/load.err" "$dir/gateway.log" >&2 || true
    FAILED=1
  fi
  if [[ -n "$perf_pid" && -f "$dir/perf.data" ]]; then
    { perf report -i "$dir/perf.data" --no-children -g none --sort comm --stdio 2>/dev/null |
        grep '%' | grep -v '^#' | head -n 8
      perf report -i "$dir/perf.data" --no-children -g none --sort dso,sym --stdio 2>/dev/null |
        grep '%' | grep -v '^#' | head -n 30; } >"$WORK/perf-kinesis-$run.txt" || true
    echo "    perf (kinesis run $run, top symbols): $WORK/perf-kinesis-$run.txt"
    head -n 38 "$WORK/perf-kinesis-$run.txt" | sed 's/^/      /'
  fi
  echo "$path ${eps:-0} $cpu_us ${p50:-0} ${p99:-0} $((hwm / 1024)) $lost ${lat50:--} ${lat99:--} $null_us" \
    >>"$RESULTS"
  [[ $KEEP -eq 1 ]] || rm -f "$sink" "$sink".*
}

echo "gateway $GATEWAY; ${DURATION}s per run, $RUNS run(s); batches of $BATCH events" \
  "of ~$EVENT_BYTES bytes, window $WINDOW; pinning: ${GW_PIN[*]:-none} / ${CLIENT_PIN[*]:-none}"
for ((r = 1; r <= RUNS; r++)); do
  for path in file kinesis; do
    echo "== run $r: $path"
    run_once "$path" "$r"
  done
done

median() {  # median COLUMN PATH
  awk -v s="$2" -v c="$1" '$1 == s && $c != "-" { print $c }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
          else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "Medians of $RUNS run(s), ${DURATION}s each:"
echo
echo "| path | records/s | gateway CPU µs/record | p50 ack | p99 ack | receive→PutRecords p50 | receive→PutRecords p99 | gateway peak RSS | endpoint CPU µs/record | lost |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for path in file kinesis; do
  printf '| %s | %.0f | %.2f | %.0f µs | %.0f µs | %s | %s | %s MB | %s | %s |\n' "$path" \
    "$(median 2 "$path")" "$(median 3 "$path")" "$(median 4 "$path")" "$(median 5 "$path")" \
    "$( [[ $path == kinesis ]] && printf '%.0f µs' "$(median 8 "$path")" || echo -)" \
    "$( [[ $path == kinesis ]] && printf '%.0f µs' "$(median 9 "$path")" || echo -)" \
    "$(median 6 "$path")" "$( [[ $path == kinesis ]] && median 10 "$path" || echo -)" \
    "$(awk -v s="$path" '$1 == s { t += $7 } END { print t + 0 }' "$RESULTS")"
done
awk '$1 == "file" { f[++nf] = $3 } $1 == "kinesis" { k[++nk] = $3 }
     END { for (i = 1; i <= nf && i <= nk; i++) if (f[i] > 0) printf "%s%.2f", (i > 1 ? ", " : ""), k[i] / f[i] }' \
  "$RESULTS" | { read -r ratios || true; echo; echo "Kinesis/file CPU per record, per run: ${ratios:-n/a}"; }
exit $FAILED
