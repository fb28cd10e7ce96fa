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

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=10
RUNS=1
PERF=0
BATCH="${BATCH:-100}"
KINESIS_SINK_EXTRA="${KINESIS_SINK_EXTRA:-}"
# The null endpoint lists one shard but has no write limits: the sink's
# per-shard rate limit is lifted so the bench measures the sink's cost.
NULL_RATE="rate_limit: {records_per_s: 100000000, bytes_per_s: 1099511627776}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --perf) PERF=1; shift ;;
    *) bench_common_arg "$@"; shift "$BENCH_SHIFT" ;;
  esac
done

NULL_EP="$BUILD_DIR/bin/streamgate-kinesis-null"
BENCH_BINS=("$NULL_EP")
bench_build streamgate streamgate-load streamgate-kinesis-null

# Gateway on core 0; client and null endpoint share core 1 (the endpoint
# costs a small fraction of the gateway's CPU per record; it is reported).
bench_pins

NULL_PID=""
BENCH_PID_VARS="GW_PID NULL_PID"
bench_make_work streamgate-kinesis-bench

# shellcheck disable=SC2317  # called through delivered_now
null_total() {  # records the null endpoint has counted so far
  local v
  v="$(grep '^interval ' "$1" 2>/dev/null | tail -n 1 | field total_records)"
  echo "${v:-0}"
}

write_config() {  # write_config FILE PORT file|kinesis SINK_PATH|ENDPOINT_URL
  {
    echo "grpc: {listen: \"127.0.0.1:$2\"}"
    bench_devices "$DEVICES"
    bench_module_head bench
    if [[ "$3" == file ]]; then
      echo "    sink: {type: file, path: $4}"
    else
      echo "    sink: {type: kinesis, region: us-east-1, stream_name: bench," \
        "endpoint: \"$4\", $NULL_RATE${KINESIS_SINK_EXTRA:+, $KINESIS_SINK_EXTRA}}"
    fi
  } >"$1"
}

# delivered_now PATH NULL_OUT SINK: records delivered so far.
# shellcheck disable=SC2317  # called through bench_wait_delivered
delivered_now() {
  if [[ "$1" == kinesis ]]; then null_total "$2"; else line_count "$3"; fi
}

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
    bench_start_gateway "$dir/config.yaml" "$port" "$dir/gateway.log"

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
  bench_read_result "$dir/load.out"
  local acked="$ACKED" delivered
  bench_wait_delivered "$acked" 300 25 delivered_now "$path" "$null_out" "$sink"
  cpu1="$(cpu_ticks "$GW_PID")"
  [[ -n "$NULL_PID" ]] && null1="$(cpu_ticks "$NULL_PID")"
  local hwm
  hwm="$(vm_hwm_kb "$GW_PID")"
  [[ -n "$perf_pid" ]] && wait "$perf_pid" 2>/dev/null || true

  bench_stop_gateway
  local gw_rc="$GW_RC"
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
    null_us="$(bench_us_per $((null1 - null0)) "$acked")"
  else
    delivered="$(line_count "$sink")"
    for f in "$sink".*; do
      if [[ -f "$f" ]]; then delivered=$((delivered + $(wc -l <"$f"))); fi
    done
  fi

  local cpu_us
  cpu_us="$(bench_us_per $((cpu1 - cpu0)) "$acked")"
  sed -n '1p' "$dir/load.out"
  echo "    $path: gateway $cpu_us us/record, peak RSS $((hwm / 1024)) MB, exit $gw_rc;" \
    "delivered $delivered of $acked acked${final:+; null endpoint $null_us us/record,}" \
    "${final:+receive->PutRecords p50 ${lat50} us p99 ${lat99} us}"
  local lost=$((acked - delivered))
  if [[ $rc -ne 0 || -z "$RESULT" || $gw_rc -ne 0 || $delivered -ne $acked ]]; then
    bench_fail "$dir" "load exit $rc, gateway exit $gw_rc, delivered $delivered != acked $acked"
  fi
  if [[ -n "$perf_pid" && -f "$dir/perf.data" ]]; then
    { perf report -i "$dir/perf.data" --no-children -g none --sort comm --stdio 2>/dev/null |
        grep '%' | grep -v '^#' | head -n 8
      perf report -i "$dir/perf.data" --no-children -g none --sort dso,sym --stdio 2>/dev/null |
        grep '%' | grep -v '^#' | head -n 30; } >"$WORK/perf-kinesis-$run.txt" || true
    echo "    perf (kinesis run $run, top symbols): $WORK/perf-kinesis-$run.txt"
    head -n 38 "$WORK/perf-kinesis-$run.txt" | sed 's/^/      /'
  fi
  echo "$path ${EPS:-0} $cpu_us ${P50:-0} ${P99:-0} $((hwm / 1024)) $lost ${lat50:--} ${lat99:--} $null_us" \
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

echo
echo "Medians of $RUNS run(s), ${DURATION}s each:"
echo
echo "| path | records/s | gateway CPU µs/record | p50 ack | p99 ack | receive→PutRecords p50 | receive→PutRecords p99 | gateway peak RSS | endpoint CPU µs/record | lost |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for path in file kinesis; do
  printf '| %s | %.0f | %.2f | %.0f µs | %.0f µs | %s | %s | %s MB | %s | %s |\n' "$path" \
    "$(bench_median 2 "$path")" "$(bench_median 3 "$path")" "$(bench_median 4 "$path")" \
    "$(bench_median 5 "$path")" \
    "$( [[ $path == kinesis ]] && printf '%.0f µs' "$(bench_median 8 "$path")" || echo -)" \
    "$( [[ $path == kinesis ]] && printf '%.0f µs' "$(bench_median 9 "$path")" || echo -)" \
    "$(bench_median 6 "$path")" "$( [[ $path == kinesis ]] && bench_median 10 "$path" || echo -)" \
    "$(awk -v s="$path" '$1 == s { t += $7 } END { print t + 0 }' "$RESULTS")"
done
awk '$1 == "file" { f[++nf] = $3 } $1 == "kinesis" { k[++nk] = $3 }
     END { for (i = 1; i <= nf && i <= nk; i++) if (f[i] > 0) printf "%s%.2f", (i > 1 ? ", " : ""), k[i] / f[i] }' \
  "$RESULTS" | { read -r ratios || true; echo; echo "Kinesis/file CPU per record, per run: ${ratios:-n/a}"; }
exit $FAILED
