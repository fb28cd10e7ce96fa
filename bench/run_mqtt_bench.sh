#!/usr/bin/env bash
# Benchmarks MQTT ingest (issue 4, "Performance"), side by side in one run on
# a real mosquitto (fresh per leg, free 127.0.0.1 port): the broker relaying
# the load publisher to a plain libmosquitto subscriber (the ceiling of any
# broker-fed path) vs. publisher -> broker -> streamgate -> file sink, and
# -> Kinesis sink -> streamgate-kinesis-null when that binary is built.
# Reports delivered msg/s (counted at the receiver), the gateway/relay ratio,
# gateway and broker CPU us per message (/proc/PID/stat), and published vs
# delivered counts. The work is done by bench/mqtt_load/mqtt_bench.py.
#
# Usage: bench/run_mqtt_bench.sh [--build-dir DIR] [--no-build] [--runs N]
#            [--messages N] [--scenarios "q0@100000 q0 q1"] [--paths "relay gateway kinesis"]
#            [--devices 1000] [--size 150] [--keep]
#            [--baseline-gateway OTHER_STREAMGATE]  (with --paths "... base")
# Scenarios: qQOS[@RATE]: QoS 0 or 1, publisher paced to RATE msg/s (none: as
# fast as the broker takes them; QoS 1 is bounded by 100 in flight).
# Path "base": the gateway -> file sink leg again with another binary, for a
# before/after comparison side by side in the same run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build"
BUILD=1
PASS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD_DIR="$(realpath -m "$2")"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) PASS+=("$1"); shift ;;
  esac
done

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
  targets=(streamgate mqtt_load)
  if cmake --build "$BUILD_DIR" --target help 2>/dev/null | grep -q 'streamgate-kinesis-null'; then
    targets+=(streamgate-kinesis-null)
  fi
  cmake --build "$BUILD_DIR" --target "${targets[@]}" -j"$(nproc)"
fi

# mqtt_load has no RUNTIME_OUTPUT_DIRECTORY of its own: look in bin/ first.
MQTT_LOAD="$BUILD_DIR/bin/mqtt_load"
[[ -x "$MQTT_LOAD" ]] || MQTT_LOAD="$BUILD_DIR/bench/mqtt_load/mqtt_load"
for bin in "$BUILD_DIR/bin/streamgate" "$MQTT_LOAD" /usr/sbin/mosquitto; do
  [[ -x "$bin" ]] || { echo "missing $bin (build it or drop --no-build)" >&2; exit 1; }
done

exec /usr/bin/python3 "$ROOT/bench/mqtt_load/mqtt_bench.py" \
  --gateway "$BUILD_DIR/bin/streamgate" --mqtt-load "$MQTT_LOAD" \
  --kinesis-null "$BUILD_DIR/bin/streamgate-kinesis-null" "${PASS[@]}"
