#!/usr/bin/env bash
# Benchmarks the durable spool against the memory queue on the same load
# (issue 5 and issue 13, "Performance"): streamgate-load sends ~150-byte
# events to a gateway whose one module writes to a file sink, in each load
# mode (MODES: `batch` = batches of 100 per Publish message, window 64;
# `unary` = PublishEvent with 64 calls in flight) and three variants, run
# side by side in every round:
#   memory   no spool section (memory queue)
#   spool10  spool: {fsync: 10}      (background fdatasync every 10 ms)
#   always   spool: {fsync: always}  (ack after a group-commit fdatasync)
# For each: acked events/s, p50/p99 ack latency, gateway CPU us per event
# (utime+stime over the run, read once the sink has written everything
# acked), peak RSS (VmHWM), and events lost (acked minus sink lines after
# SIGTERM); for the spools also inputs per group-commit write and the mean
# fdatasync time (from /metrics). The summary prints medians and
# each spool variant's events/s as a percentage of memory's (target for
# spool10: >= 70%).
#
# Usage: bench/run_spool_bench.sh [--duration S] [--runs N] [--build-dir DIR]
#            [--variants "memory spool10 always"] [--modes "batch unary"]
#            [--no-build] [--no-pin] [--keep]
# Environment: EVENT_BYTES (150), BATCH (100), WINDOW (64), DEVICES (100),
#   SPOOL_ROOT (directory for the spool dirs; default the temp work dir,
#   i.e. the filesystem of /tmp — fsync cost depends on it).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=10
RUNS=3
VARIANTS="memory spool10 always"
MODES="batch unary"
BATCH="${BATCH:-100}"
INFLIGHT="${INFLIGHT:-64}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --variants) VARIANTS="$2"; shift 2 ;;
    --modes) MODES="$2"; shift 2 ;;
    *) bench_common_arg "$@"; shift "$BENCH_SHIFT" ;;
  esac
done

bench_build streamgate streamgate-load
bench_pins
bench_make_work streamgate-spool-bench
SPOOL_ROOT="${SPOOL_ROOT:-$WORK}"

write_config() {  # write_config FILE PORT SINK_PATH VARIANT SPOOL_DIR METRICS_PORT
  {
    echo "grpc: {listen: \"127.0.0.1:$2\"}"
    echo "metrics: {listen: \"127.0.0.1:$6\"}"
    echo "shutdown_timeout_ms: 60000"
    bench_devices "$DEVICES"
    bench_module_head bench
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

mode_title() {
  case "$1" in
    batch) echo "Publish stream, batches of $BATCH, window $WINDOW" ;;
    unary) echo "unary PublishEvent, $INFLIGHT in flight" ;;
  esac
}

# run_once VARIANT MODE RUN: appends "variant:mode eps p50 p99 cpu_us rss_mb
# lost".
run_once() {
  local v="$1" mode="$2" run="$3" dir="$WORK/$1-$2-$3"
  mkdir -p "$dir"
  local port sink="$dir/out.jsonl" spool="$SPOOL_ROOT/spool-$1-$2-$3"
  local mport
  port="$(free_port)"
  mport="$(free_port)"
  write_config "$dir/config.yaml" "$port" "$sink" "$v" "$spool" "$mport"
  bench_start_gateway "$dir/config.yaml" "$port" "$dir/gateway.log"
  local cpu0 cpu1 rc=0
  cpu0="$(cpu_ticks "$GW_PID")"
  local load_args=(--mode batch --batch "$BATCH" --window "$WINDOW")
  [[ "$mode" == unary ]] && load_args=(--mode unary --inflight "$INFLIGHT")
  "${CLIENT_PIN[@]}" "$LOAD" --target "127.0.0.1:$port" "${load_args[@]}" \
    --duration "$DURATION" --event-bytes "$EVENT_BYTES" --devices "$DEVICES" \
    >"$dir/load.out" 2>"$dir/load.err" || rc=$?
  bench_read_result "$dir/load.out"
  local acked="$ACKED" lines
  bench_wait_delivered "$acked" 150 10 line_count "$sink"
  cpu1="$(cpu_ticks "$GW_PID")"
  local hwm
  hwm="$(vm_hwm_kb "$GW_PID")"
  local syncs=""
  if [[ "$v" != memory ]]; then syncs="$(spool_sync_line "$mport")"; fi
  bench_stop_gateway
  local gw_rc="$GW_RC"
  lines="$(line_count "$sink")"
  local cpu_us
  cpu_us="$(bench_us_per $((cpu1 - cpu0)) "$acked")"
  echo "  $(title "$v"), $mode, run $run: $(sed -n '1p' "$dir/load.out")"
  echo "    gateway $cpu_us us/event, peak RSS $((hwm / 1024)) MB, exit $gw_rc;" \
    "sink $lines lines for $acked acked"
  if [[ -n "$syncs" ]]; then echo "$syncs"; fi
  # The sink may hold more than was acked (a message in flight at the end of
  # the load is written but its ack never read), never less.
  local lost=$((acked > lines ? acked - lines : 0))
  if [[ $rc -ne 0 || -z "$RESULT" || $gw_rc -ne 0 || $lost -ne 0 ]]; then
    bench_fail "$dir" "load exit $rc, gateway exit $gw_rc, sink lines $lines, acked $acked"
  fi
  echo "$v:$mode ${EPS:-0} ${P50:-0} ${P99:-0} $cpu_us $((hwm / 1024)) $lost" >>"$RESULTS"
  if [[ $KEEP -eq 0 ]]; then rm -rf "$sink" "$spool"; fi
}

# spool_sync_line METRICS_PORT: prints the spool's group commits and
# fdatasyncs so far (from /metrics): inputs per write, mean fdatasync time.
spool_sync_line() {
  curl -sf "http://127.0.0.1:$1/metrics" | awk '
    /^streamgate_module_spool_commits_total/ { c = $NF }
    /^streamgate_module_spool_commit_writes_total/ { w = $NF }
    /^streamgate_module_spool_fsyncs_total/ { f = $NF }
    /^streamgate_module_spool_fsync_seconds_total/ { s = $NF }
    END {
      if (w > 0 && f > 0) {
        printf "    spool: %d inputs in %d writes (%.1f per write), %d fdatasyncs, %.2f ms each\n", c, w, c / w, f, 1000 * s / f
      }
    }' || true
}

echo "gateway $GATEWAY; ${DURATION}s per run, $RUNS round(s) of: $VARIANTS;" \
  "modes: $MODES; pinning: ${GW_PIN[*]:-none} / ${CLIENT_PIN[*]:-none};" \
  "batches of $BATCH, window $WINDOW, $INFLIGHT unary in flight;" \
  "~$EVENT_BYTES-byte events; spool dirs under $SPOOL_ROOT" \
  "($(df -T "$SPOOL_ROOT" | awk 'NR == 2 { print $2 }'))"
# Rounds interleave the variants so a change in the machine's load hits all
# of them alike.
for ((r = 1; r <= RUNS; r++)); do
  echo "== round $r"
  for mode in $MODES; do
    for v in $VARIANTS; do run_once "$v" "$mode" "$r"; done
  done
done

median() { bench_median "$1" "$2" 0; }  # median COLUMN VARIANT (0 if none)

echo
echo "Medians of $RUNS run(s), ${DURATION}s each:"
for mode in $MODES; do
  MEM_EPS="$(median 2 "memory:$mode")"
  echo
  echo "$(mode_title "$mode"):"
  echo
  echo "| variant | events/s | vs memory | p50 ack | p99 ack | gateway CPU us/event | peak RSS | lost |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for v in $VARIANTS; do
    key="$v:$mode"
    eps="$(median 2 "$key")"
    pct="$(awk -v a="$eps" -v b="$MEM_EPS" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }')"
    printf '| %s | %.0f | %s | %.1f ms | %.1f ms | %.2f | %s MB | %s |\n' "$(title "$v")" \
      "$eps" "$pct" "$(awk -v x="$(median 3 "$key")" 'BEGIN { print x / 1000 }')" \
      "$(awk -v x="$(median 4 "$key")" 'BEGIN { print x / 1000 }')" \
      "$(median 5 "$key")" "$(median 6 "$key")" \
      "$(awk -v s="$key" '$1 == s { t += $7 } END { print t + 0 }' "$RESULTS")"
  done
done
exit $FAILED
