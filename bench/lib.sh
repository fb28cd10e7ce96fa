# shellcheck shell=bash
# shellcheck disable=SC2034  # the globals set here are read by the callers
# Shared parts of the gRPC benchmark drivers (run_grpc_bench.sh,
# run_kinesis_bench.sh, run_spool_bench.sh, soak.sh): option parsing, the
# build step, the temp dir and exit cleanup, starting a gateway and waiting
# for its port, and the /proc and RESULT-line readers the measurements use.
# Sourced, never run; the callers keep `set -euo pipefail`, their own
# defaults, load and report. Functions set plain globals (bash has no other
# way to hand back several values).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Defaults of the options every driver takes; the caller sets its own
# (DURATION, RUNS, ...) after sourcing.
BUILD_DIR="$ROOT/build"
BUILD=1
PIN=1
KEEP=0
# The load shape the run_*_bench.sh drivers share (streamgate-load's
# --event-bytes, --window, --devices), from the environment; each header
# says which of them it reads.
EVENT_BYTES="${EVENT_BYTES:-150}"
WINDOW="${WINDOW:-64}"
DEVICES="${DEVICES:-100}"
# The shared options a driver accepts; a driver that has no use for one
# (soak.sh pins nothing and runs once) narrows it so it stays an error.
BENCH_COMMON_OPTS="--duration --runs --build-dir --no-build --no-pin --keep"
# Variables holding the PIDs the exit trap stops, in order.
BENCH_PID_VARS="GW_PID"
GW_PID=""

# bench_usage: prints the calling script's header comment, its usage text.
bench_usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; }

# bench_common_arg ARGS...: handles the shared option at $1 (one of
# BENCH_COMMON_OPTS, or -h/--help) and sets BENCH_SHIFT to the number of
# words it took; anything else is an unknown argument (exit 2). Called from
# the `*)` branch of the driver's own option loop.
bench_common_arg() {
  BENCH_SHIFT=1
  case "$1" in
    -h|--help) bench_usage; exit 0 ;;
  esac
  if [[ " $BENCH_COMMON_OPTS " != *" $1 "* ]]; then
    echo "unknown argument: $1" >&2
    exit 2
  fi
  case "$1" in
    --duration) DURATION="$2"; BENCH_SHIFT=2 ;;
    --runs) RUNS="$2"; BENCH_SHIFT=2 ;;
    --build-dir) BUILD_DIR="$(realpath -m "$2")"; BENCH_SHIFT=2 ;;
    --no-build) BUILD=0 ;;
    --no-pin) PIN=0 ;;
    --keep) KEEP=1 ;;
  esac
}

# bench_build TARGET...: sets GATEWAY and LOAD (the gateway and
# streamgate-load in BUILD_DIR); unless --no-build, configures BUILD_DIR as a
# Release build if it has no build system yet (Ninja when installed), warns
# when it is not Release (the figures are meant for Release), and builds
# TARGETs. Then checks that GATEWAY, LOAD and BENCH_BINS are executable.
bench_build() {
  GATEWAY="$BUILD_DIR/bin/streamgate"
  LOAD="$BUILD_DIR/bin/streamgate-load"
  if [[ $BUILD -eq 1 ]]; then
    if [[ ! -f "$BUILD_DIR/build.ninja" && ! -f "$BUILD_DIR/Makefile" ]]; then
      local generator=()
      command -v ninja >/dev/null && generator=(-G Ninja)
      cmake -S "$ROOT" -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
    fi
    local build_type
    build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")"
    if [[ "$build_type" != "Release" ]]; then
      echo "warning: $BUILD_DIR is a '$build_type' build; numbers are for Release" >&2
    fi
    cmake --build "$BUILD_DIR" --target "$@" -j"$(nproc)"
  fi
  local bin
  for bin in "$GATEWAY" "$LOAD" ${BENCH_BINS[@]+"${BENCH_BINS[@]}"}; do
    [[ -x "$bin" ]] || { echo "missing $bin (build it or drop --no-build)" >&2; exit 1; }
  done
}

# bench_pins: sets GW_PIN and CLIENT_PIN, the command prefixes that put the
# gateway on core 0 and the client on core 1 so they do not preempt each
# other; both empty with --no-pin, without taskset or on one core.
bench_pins() {
  GW_PIN=(); CLIENT_PIN=()
  if [[ $PIN -eq 1 ]] && command -v taskset >/dev/null && [[ "$(nproc)" -ge 2 ]]; then
    GW_PIN=(taskset -c 0); CLIENT_PIN=(taskset -c 1)
  fi
}

# bench_stop PID: SIGTERM to PID if it still runs, then reaps it; an empty
# PID or a failure is ignored (used on the way out).
bench_stop() {
  if [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}

# bench_cleanup: the exit trap: stops the processes named by BENCH_PID_VARS
# (their values at exit), then removes WORK, or with --keep says where it is.
bench_cleanup() {
  local var
  for var in $BENCH_PID_VARS; do bench_stop "${!var:-}"; done
  if [[ $KEEP -eq 0 ]]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}

# bench_make_work NAME: creates the temp dir WORK (/tmp/NAME.XXXXXX), arms
# bench_cleanup on exit, and starts an empty RESULTS file in it (one line per
# run, for the medians); sets CLK_TCK for the /proc CPU counters and FAILED.
bench_make_work() {
  WORK="$(mktemp -d "/tmp/$1.XXXXXX")"
  trap bench_cleanup EXIT
  CLK_TCK="$(getconf CLK_TCK)"
  RESULTS="$WORK/results.txt"
  : >"$RESULTS"
  FAILED=0
}

# free_port: prints a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# cpu_ticks PID: utime+stime of a process, in clock ticks (fields 14 and 15
# of /proc/PID/stat, counted after the ')' that ends the command name).
cpu_ticks() {
  local stat
  stat="$(cat "/proc/$1/stat")"
  stat="${stat##*) }"
  awk '{ print $12 + $13 }' <<<"$stat"
}

# vm_hwm_kb PID: the process's peak RSS (VmHWM) in KB.
vm_hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# line_count FILE: lines in FILE, 0 if it does not exist (yet).
line_count() { if [[ -f "$1" ]]; then wc -l <"$1"; else echo 0; fi; }

# field NAME < LINE: the value of NAME=value in a line of key=value words.
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

# bench_us_per TICKS N: CPU microseconds per item for TICKS clock ticks over
# N items, "%.2f" (0 when N is 0).
bench_us_per() {
  awk -v t="$1" -v hz="$CLK_TCK" -v n="$2" \
    'BEGIN { printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0) }'
}

# bench_devices N: the config's devices section: ids 1..N, ten to a home.
bench_devices() {
  local d
  echo "devices:"
  for ((d = 1; d <= $1; d++)); do
    echo "  - {id: $d, home_id: $(((d - 1) / 10 + 1)), class: sensor}"
  done
}

# bench_module_head ID: opens the config's modules section with one module
# ID that takes every event; the caller adds its sink (and spool).
bench_module_head() {
  echo "modules:"
  echo "  - id: $1"
  echo "    subscribe_events: [\"*\"]"
}

# bench_wait_port PORT LOG: waits up to 10 s until 127.0.0.1:PORT accepts a
# connection; if the gateway (GW_PID) exits first, prints LOG and exits 1.
bench_wait_port() {
  local i
  for ((i = 0; i < 100; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then break; fi
    kill -0 "$GW_PID" 2>/dev/null || { echo "gateway exited:"; cat "$2"; exit 1; }
    sleep 0.1
  done
}

# bench_start_gateway CONFIG PORT LOG: starts GATEWAY (pinned) on CONFIG
# with its output in LOG, sets GW_PID and waits for its gRPC PORT.
bench_start_gateway() {
  "${GW_PIN[@]}" "$GATEWAY" --config "$1" >"$3" 2>&1 &
  GW_PID=$!
  bench_wait_port "$2" "$3"
}

# bench_stop_gateway: SIGTERM to GW_PID, waits for it and sets GW_RC to its
# exit status (a clean shutdown drains the sink: 0 is part of the check).
bench_stop_gateway() {
  GW_RC=0
  kill -TERM "$GW_PID"
  wait "$GW_PID" || GW_RC=$?
  GW_PID=""
}

# bench_read_result FILE: reads streamgate-load's output FILE; sets RESULT
# (its "RESULT key=value ..." line, empty if none), ACKED (events_acked, 0
# if none), EPS, P50 and P99 (events_per_s, p50_us, p99_us; empty if none).
bench_read_result() {
  RESULT="$(grep '^RESULT ' "$1" || true)"
  ACKED="$(field events_acked <<<"$RESULT")"
  ACKED="${ACKED:-0}"
  EPS="$(field events_per_s <<<"$RESULT")"
  P50="$(field p50_us <<<"$RESULT")"
  P99="$(field p99_us <<<"$RESULT")"
}

# bench_wait_delivered ACKED POLLS SETTLE COUNT_CMD...: polls COUNT_CMD
# (prints how many records the sink has delivered) every 0.2 s until it
# reaches ACKED, stays unchanged for SETTLE polls, or POLLS polls ran. The
# CPU counters are read after it: delivering what was acked is part of the
# work per record.
bench_wait_delivered() {
  local acked="$1" polls="$2" settle="$3" n prev=-1 stable=0 i
  shift 3
  for ((i = 0; i < polls; i++)); do
    n="$("$@")"
    [[ "$n" -ge "$acked" ]] && break
    if [[ "$n" -eq "$prev" ]]; then stable=$((stable + 1)); else stable=0; fi
    [[ $stable -ge $settle ]] && break
    prev="$n"
    sleep 0.2
  done
}

# bench_fail DIR MESSAGE: reports a failed run (MESSAGE and the tails of
# DIR's load.err and gateway.log on stderr) and sets FAILED=1 for the exit
# status; the run's figures are still recorded.
bench_fail() {
  echo "    FAILED: $2" >&2
  tail -n 5 "$1/load.err" "$1/gateway.log" >&2 || true
  FAILED=1
}

# bench_median COLUMN KEY [EMPTY]: the median of COLUMN over the RESULTS
# lines whose first word is KEY, skipping "-" (not measured); EMPTY ("-" by
# default) when there is none.
bench_median() {
  awk -v s="$2" -v c="$1" '$1 == s && $c != "-" { print $c }' "$RESULTS" | sort -g |
    awk -v e="${3:--}" '{ v[NR] = $1 } END { if (NR == 0) print e; else if (NR % 2) print v[(NR + 1) / 2];
          else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
