#!/usr/bin/env bash
# Soak test (issue 5, "Memory stays bounded"; not part of the CI suite):
# runs the gateway for DURATION seconds (default 600) at half of its measured
# capacity and samples its RSS every few seconds, then reports whether RSS
# grew after warm-up.
#
# 1. Capacity: one unthrottled streamgate-load run (--mode batch, 100 events
#    per message, window 64) of CAPACITY_S seconds against the same config.
# 2. Soak: every 1-second slot, one `streamgate-load --count RATE` run (RATE
#    = half the capacity, rounded to whole messages) and a sleep for the rest
#    of the slot; so the load is half the capacity on average, in bursts of
#    about half a second at full speed. A slot whose run takes longer than a
#    second is counted as overrun (the gateway fell behind).
# 3. RSS (VmRSS of /proc/PID/status) every SAMPLE_S seconds. Warm-up is the
#    first WARMUP_S seconds (default 60). Verdict: "RSS grows" when the mean
#    of the last minute's samples exceeds the mean of the first minute after
#    warm-up by more than 10% and 4 MB; also the least-squares slope of the
#    post-warm-up samples in MB/min.
#
# The module writes to a stdout sink sent to /dev/null (so ten minutes of
# load do not fill the disk), through a spool (fsync: 10) unless --memory.
#
# Usage: bench/soak.sh [--duration S] [--warmup S] [--sample S]
#            [--capacity-s S] [--memory] [--build-dir DIR] [--no-build] [--keep]
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# One gateway, not pinned, one soak: no --runs, no --no-pin.
BENCH_COMMON_OPTS="--duration --build-dir --no-build --keep"
DURATION=600
WARMUP_S=60
SAMPLE_S=5
CAPACITY_S=10
SPOOL=1
BATCH=100

while [[ $# -gt 0 ]]; do
  case "$1" in
    --warmup) WARMUP_S="$2"; shift 2 ;;
    --sample) SAMPLE_S="$2"; shift 2 ;;
    --capacity-s) CAPACITY_S="$2"; shift 2 ;;
    --memory) SPOOL=0; shift ;;
    *) bench_common_arg "$@"; shift "$BENCH_SHIFT" ;;
  esac
done

bench_build streamgate streamgate-load

SAMPLER_PID=""
BENCH_PID_VARS="SAMPLER_PID GW_PID"
bench_make_work streamgate-soak

PORT="$(free_port)"
{
  echo "grpc: {listen: \"127.0.0.1:$PORT\"}"
  bench_devices 100
  bench_module_head soak
  echo "    sink: {type: stdout}"
  if [[ $SPOOL -eq 1 ]]; then echo "    spool: {dir: \"$WORK/spool\", fsync: 10}"; fi
} >"$WORK/config.yaml"

"$GATEWAY" --config "$WORK/config.yaml" >/dev/null 2>"$WORK/gateway.err" &
GW_PID=$!
bench_wait_port "$PORT" "$WORK/gateway.err"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

"$LOAD" --target "127.0.0.1:$PORT" --mode batch --batch $BATCH --window 64 \
  --duration "$CAPACITY_S" >"$WORK/capacity.out" 2>&1
CAP="$(grep '^RESULT ' "$WORK/capacity.out" | field events_per_s)"
CAP="${CAP%.*}"
RATE=$(( (CAP / 2 / BATCH) * BATCH ))
[[ $RATE -ge $BATCH ]] || RATE=$BATCH
echo "capacity $CAP events/s ($(grep -v '^RESULT' "$WORK/capacity.out" | head -n 1));" \
  "soak at $RATE events/s for ${DURATION}s, spool=$SPOOL, RSS every ${SAMPLE_S}s"
# Let the capacity run's backlog drain before the baseline.
sleep 5

START="$(date +%s.%N)"
(
  while kill -0 "$GW_PID" 2>/dev/null; do
    now="$(date +%s.%N)"
    echo "$(awk -v a="$now" -v b="$START" 'BEGIN { printf "%.1f", a - b }') $(rss_kb "$GW_PID")"
    sleep "$SAMPLE_S"
  done
) >"$WORK/rss.txt" &
SAMPLER_PID=$!

SENT=0
OVERRUNS=0
ERRORS=0
END=$(( $(date +%s) + DURATION ))
while [[ $(date +%s) -lt $END ]]; do
  t0="$(date +%s%N)"
  if ! "$LOAD" --target "127.0.0.1:$PORT" --mode batch --batch $BATCH --window 64 \
      --count "$RATE" >"$WORK/slot.out" 2>&1; then
    ERRORS=$((ERRORS + 1))
    tail -n 3 "$WORK/slot.out" >&2
  fi
  acked="$(grep '^RESULT ' "$WORK/slot.out" | field events_acked)"
  SENT=$((SENT + ${acked:-0}))
  kill -0 "$GW_PID" 2>/dev/null || { echo "gateway died"; tail "$WORK/gateway.err"; exit 1; }
  elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  if [[ $elapsed_ms -lt 1000 ]]; then
    sleep "$(awk -v m=$elapsed_ms 'BEGIN { printf "%.3f", (1000 - m) / 1000 }')"
  else
    OVERRUNS=$((OVERRUNS + 1))
  fi
done
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
HWM="$(vm_hwm_kb "$GW_PID")"
bench_stop_gateway

echo "acked $SENT events in ${DURATION}s ($((SENT / DURATION))/s), slots overrun $OVERRUNS," \
  "load errors $ERRORS, gateway exit $GW_RC, peak RSS $((HWM / 1024)) MB"
echo "RSS samples (s, KB): $(awk '{ printf "%s:%s ", $1, $2 }' "$WORK/rss.txt")"
awk -v w="$WARMUP_S" -v d="$DURATION" '
  $1 >= w { n++; x[n] = $1; y[n] = $2 / 1024 }
  $1 >= w && $1 < w + 60 { fa += $2; fn++ }
  $1 >= d - 60 { la += $2; ln++ }
  END {
    if (n < 3 || fn == 0 || ln == 0) { print "too few samples after warm-up"; exit 0 }
    for (i = 1; i <= n; i++) { sx += x[i]; sy += y[i] }
    mx = sx / n; my = sy / n
    for (i = 1; i <= n; i++) { num += (x[i] - mx) * (y[i] - my); den += (x[i] - mx) ^ 2 }
    slope = den > 0 ? num / den * 60 : 0
    first = fa / fn / 1024; last = la / ln / 1024
    grows = (last > first * 1.10 && last - first > 4)
    printf "after warm-up (%ds): first minute mean %.1f MB, last minute mean %.1f MB, slope %.3f MB/min: %s\n",
      w, first, last, slope, grows ? "RSS GROWS" : "RSS does not grow"
  }' "$WORK/rss.txt"
