#!/usr/bin/env bash
# Where the gateway's MQTT cost goes: runs streamgate (mqtt: -> file sink)
# under valgrind's callgrind on a fresh mosquitto, zeroes the counters once it
# has subscribed, feeds it N paced events (~150 bytes, 1000 devices), dumps
# the counters once the sink has all N, and prints the instructions per
# message by ELF object (libmosquitto, libc, streamgate itself, ...) and the
# top functions. Instruction counts are user space only; the kernel's share
# (system calls) is measured separately with `perf stat` / /proc (see
# bench/README.md). Usage:
#   bench/mqtt_load/profile_gateway.sh BUILD_DIR [QOS=0] [MESSAGES=20000] [RATE=2000]
# With PROFILER=syscalls the gateway runs natively instead and `perf stat`
# counts its system calls per message (read, pselect6, futex, write,
# recvfrom, poll, sendto) over
# the same load (RATE 0 = unpaced). With PROFILER=perf it runs natively under
# `perf record -g` (cpu-clock) and prints the gateway's samples by shared
# object ([kernel.kallsyms] is system time) and by symbol (perf.data is
# kept in the work dir for `perf report --children`).
set -euo pipefail

BUILD_DIR="$(realpath "$1")"
QOS="${2:-0}"
N="${3:-20000}"
RATE="${4:-2000}"
GATEWAY="$BUILD_DIR/bin/streamgate"
LOAD="$BUILD_DIR/bin/mqtt_load"
WORK="$(mktemp -d /tmp/sg-mqtt-profile.XXXXXX)"
BROKER_PID=""; GW_PID=""
cleanup() {
  [[ -n "$GW_PID" ]] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
  [[ -n "$BROKER_PID" ]] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
  echo "callgrind output kept in $WORK"
}
trap cleanup EXIT

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
MQTT_PORT="$(free_port)"
cat >"$WORK/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 2000000
max_inflight_messages 100
set_tcp_nodelay true
EOF
/usr/sbin/mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
BROKER_PID=$!

{
  echo "grpc: {listen: \"127.0.0.1:$(free_port)\"}"
  echo "devices:"
  for ((d = 1; d <= 1000; d++)); do
    echo "  - {id: $d, home_id: $(((d - 1) / 10 + 1)), class: sensor}"
  done
  echo "mqtt: {host: 127.0.0.1, port: $MQTT_PORT, client_id: profile-gw, qos: $QOS}"
  echo "modules:"
  echo "  - {id: bench, subscribe_events: [\"*\"], sink: {type: file, path: $WORK/out.jsonl}}"
} >"$WORK/gw.yaml"

PROFILER="${PROFILER:-callgrind}"
if [[ "$PROFILER" == syscalls || "$PROFILER" == perf ]]; then
  "$GATEWAY" --config "$WORK/gw.yaml" >"$WORK/gateway.log" 2>&1 &
else
  valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out.%p" \
    "$GATEWAY" --config "$WORK/gw.yaml" >"$WORK/gateway.log" 2>&1 &
fi
GW_PID=$!
for ((i = 0; i < 1200; i++)); do
  grep -q "mqtt: subscribed" "$WORK/gateway.log" && break
  kill -0 "$GW_PID" 2>/dev/null || { cat "$WORK/gateway.log"; exit 1; }
  sleep 0.1
done
PERF_PID=""
if [[ "$PROFILER" == syscalls ]]; then
  perf stat -x, -o "$WORK/perf.csv" -p "$GW_PID" -e syscalls:sys_enter_read \
    -e syscalls:sys_enter_pselect6 -e syscalls:sys_enter_futex \
    -e syscalls:sys_enter_write -e syscalls:sys_enter_recvfrom \
    -e syscalls:sys_enter_poll -e syscalls:sys_enter_sendto &
  PERF_PID=$!
  sleep 0.5
elif [[ "$PROFILER" == perf ]]; then
  perf record -q -e cpu-clock -g -o "$WORK/perf.data" -p "$GW_PID" \
    >/dev/null 2>&1 &
  PERF_PID=$!
  sleep 0.5
else
  callgrind_control -z "$GW_PID" >/dev/null
fi
"$LOAD" pub --port "$MQTT_PORT" --qos "$QOS" --messages "$N" --rate "$RATE" | sed -n 's/^RESULT //p'
lines=0
for ((i = 0; i < 600; i++)); do
  lines="$( [[ -f "$WORK/out.jsonl" ]] && wc -l <"$WORK/out.jsonl" || echo 0)"
  [[ "$lines" -ge "$N" ]] && break
  sleep 0.2
done
echo "sink lines: $lines of $N published (QoS $QOS)"
if [[ "$PROFILER" == perf ]]; then
  kill -INT "$PERF_PID"; wait "$PERF_PID" || true
  for sort in dso dso,sym; do
    perf report -i "$WORK/perf.data" --no-children --sort "$sort" -g none \
      2>/dev/null | grep -E '^ +[0-9]' | head -n 40 || true
  done
  exit 0
fi
if [[ -n "$PERF_PID" ]]; then
  kill -INT "$PERF_PID"; wait "$PERF_PID" || true
  awk -F, -v n="$lines" '$3 ~ /syscalls:/ { sub("syscalls:sys_enter_", "", $3);
    printf "  %-10s %8d calls  %.3f per message\n", $3, $1, $1 / n }' "$WORK/perf.csv"
  exit 0
fi
callgrind_control -d "$GW_PID" >/dev/null
sleep 1
dump="$(ls -t "$WORK"/callgrind.out.*.* 2>/dev/null | head -n 1)"
[[ -n "$dump" ]] || { echo "no callgrind dump" >&2; exit 1; }

# Self cost by ELF object and by function, per message, read straight from
# the callgrind file (cost lines under fn=, skipping the inclusive cost line
# that follows each calls=).
/usr/bin/python3 - "$dump" "$lines" <<'PY'
import re, sys
path, n = sys.argv[1], int(sys.argv[2])
names = {"ob": {}, "fn": {}}
ob = fn = None
by_obj, by_fn = {}, {}
skip = False
def name(kind, text):
    m = re.match(r"\((\d+)\)(?: (.*))?", text)
    if not m:
        return text
    if m.group(2) is not None:
        names[kind][m.group(1)] = m.group(2)
    return names[kind].get(m.group(1), text)
with open(path) as f:
    for line in f:
        line = line.rstrip("\n")
        if line.startswith("ob="):
            ob = name("ob", line[3:])
        elif line.startswith("fn="):
            fn = name("fn", line[3:])
        elif line.startswith(("cob=",)):
            name("ob", line[4:])
        elif line.startswith("cfn="):
            name("fn", line[4:])
        elif line.startswith("calls="):
            skip = True
        elif line and (line[0].isdigit() or line[0] in "+-*"):
            if skip:
                skip = False
                continue
            parts = line.split()
            if len(parts) < 2:
                continue
            ir = int(parts[1])
            obj = (ob or "?").rsplit("/", 1)[-1]
            by_obj[obj] = by_obj.get(obj, 0) + ir
            key = (fn, obj)
            by_fn[key] = by_fn.get(key, 0) + ir
total = sum(by_obj.values())
print("user-space instructions per message: %.0f (%d in all for %d messages)" % (total / n, total, n))
for obj, ir in sorted(by_obj.items(), key=lambda kv: -kv[1]):
    if ir * 500 >= total:
        print("  %-40s %7.0f Ir/msg  %5.1f%%" % (obj, ir / n, 100.0 * ir / total))
print("top functions (self):")
for (fn, obj), ir in sorted(by_fn.items(), key=lambda kv: -kv[1])[:30]:
    print("  %7.0f Ir/msg %5.1f%%  %s [%s]" % (ir / n, 100.0 * ir / total, fn[:100], obj))
PY
