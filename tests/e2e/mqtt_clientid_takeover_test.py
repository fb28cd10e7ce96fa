#!/usr/bin/env python3
"""Issue 15 item 8: client-id takeover. A client that connects with the
gateway's client id and a clean session wipes the gateway's persistent
session on the broker, with every QoS 1 message queued in it. The MQTT
README's broker example must prevent that; this test runs mosquitto with
that example's configuration and ACL, as the README shows them (TLS lines
left out, paths and port made local), and:

1. starts the gateway (client_id = username = gateway-1, clean_session
   false, QoS 1) and sees one event from device 42 reach the file sink;
2. stops the gateway; device 42 publishes QUEUED events, which the broker
   queues in gateway-1's session;
3. device 42's credentials connect with client id "gateway-1" and a clean
   session, then disconnect (the takeover);
4. restarts the gateway: every queued event must reach the sink.

With the example as it was (no use_username_as_clientid) step 3 wipes the
session and step 4 finds none of the QUEUED events.

Usage: mqtt_clientid_takeover_test.py STREAMGATE_BINARY SOURCE_DIR
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402
from harness import Fatal  # noqa: E402
from peers import MOSQUITTO_PUB, Mosquitto, wait_for  # noqa: E402

QUEUED = 5
GATEWAY_PW = "gateway-secret"
DEVICE_PW = "device-42-secret"

CONFIG = """
grpc: {{listen: "127.0.0.1:{grpc_port}"}}
devices: [{{id: 42, home_id: 7}}]
mqtt:
  host: 127.0.0.1
  port: {mqtt_port}
  client_id: gateway-1
  username: gateway-1
  password: "{password}"
  qos: 1
  clean_session: false
  session_expiry_s: 3600
modules:
  - id: all
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/sink.jsonl"}}
"""


def readme_blocks(src):
    """The broker config and ACL blocks of adapters/mqtt/README.md."""
    with open(os.path.join(src, "adapters", "mqtt", "README.md")) as f:
        text = f.read()
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M)
    conf = [b for b in blocks
            if b.startswith("# /etc/mosquitto/conf.d/streamgate.conf")]
    acl = [b for b in blocks if b.startswith("# /etc/mosquitto/acl")]
    if len(conf) != 1 or len(acl) != 1:
        raise Fatal("README: %d broker config and %d ACL blocks, want 1 each"
                    % (len(conf), len(acl)))
    return conf[0], acl[0]


def local_conf(conf, port, work):
    """The README's broker config on a loopback port without TLS, with its
    files in `work`."""
    out = []
    for line in conf.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        key = line.split()[0]
        if key in ("cafile", "certfile", "keyfile", "tls_version"):
            continue
        if key == "listener":
            line = "listener %d 127.0.0.1" % port
        elif key == "password_file":
            line = "password_file " + os.path.join(work, "passwd")
        elif key == "acl_file":
            line = "acl_file " + os.path.join(work, "acl")
        out.append(line)
    out += ["persistence_location " + os.path.join(work, "mosq") + "/",
            "log_dest stdout",
            "log_type all"]
    return "\n".join(out) + "\n"


def takeover(port):
    """Device 42's credentials connect as client "gateway-1" with a clean
    session, then disconnect."""
    import paho.mqtt.client as mqtt
    done = threading.Event()
    result = []
    c = mqtt.Client(client_id="gateway-1", clean_session=True)
    c.username_pw_set("42", DEVICE_PW)
    c.on_connect = lambda cl, ud, flags, rc: (result.append(rc), done.set())
    c.connect("127.0.0.1", port, keepalive=30)
    c.loop_start()
    done.wait(15)
    c.disconnect()
    c.loop_stop()
    if result != [0]:
        raise Fatal("the takeover client was not connected: %r" % result)


def main():
    binary, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-mqtt-takeover-")
    chk = harness.Checker()
    broker = Mosquitto(work, name="broker")
    gw = None

    def publish(n):
        payload = json.dumps({"eventType": "queued", "eventData": {"n": n}})
        subprocess.run([MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(broker.port),
                        "-q", "1", "-u", "42", "-P", DEVICE_PW,
                        "-t", "/devices/42/event", "-m", payload],
                       check=True, capture_output=True, timeout=30)

    def sink_lines():
        path = os.path.join(work, "sink.jsonl")
        return harness.read_text(path).splitlines() if os.path.exists(path) else []

    def body():
        nonlocal gw
        conf, acl = readme_blocks(src)
        with open(broker.conf_path, "w") as f:
            f.write(local_conf(conf, broker.port, work))
        with open(os.path.join(work, "acl"), "w") as f:
            f.write(acl)
        passwd = os.path.join(work, "passwd")
        open(passwd, "w").close()
        for user, pw in (("gateway-1", GATEWAY_PW), ("42", DEVICE_PW)):
            subprocess.run(["mosquitto_passwd", "-b", passwd, user, pw],
                           check=True, capture_output=True)
        # Started as root, mosquitto reads its files as user mosquitto.
        os.chmod(work, 0o711)
        for name in ("passwd", "acl"):
            os.chmod(os.path.join(work, name), 0o644)
        os.makedirs(os.path.join(work, "mosq"), mode=0o777)
        os.chmod(os.path.join(work, "mosq"), 0o777)
        broker.start()
        config = CONFIG.format(grpc_port=harness.free_port(),
                               mqtt_port=broker.port, password=GATEWAY_PW,
                               dir=work)
        gw = harness.Gateway(binary, work, config, name="gw1")
        gw.start()
        gw.wait_log("mqtt: subscribed", "the MQTT subscription", timeout=20)
        publish(0)
        wait_for(lambda: len(sink_lines()) >= 1, "the first event in the sink",
                 20)
        chk.eq(gw.stop(), 0, "first gateway's exit code")
        gw = None

        for n in range(1, QUEUED + 1):
            publish(n)
        takeover(broker.port)

        gw = harness.Gateway(binary, work, config, name="gw2")
        gw.start()
        gw.wait_log("mqtt: subscribed", "the MQTT subscription", timeout=20)
        try:
            wait_for(lambda: len(sink_lines()) >= 1 + QUEUED,
                     "the queued events in the sink", 20)
        except Fatal:
            pass
        chk.eq(len(sink_lines()), 1 + QUEUED,
               "events in the sink (1 before, %d queued across the takeover)"
               % QUEUED)
        chk.check("(session present: yes)" in gw.stderr_text(),
                  "the restarted gateway found its session on the broker")
        chk.eq(gw.stop(), 0, "second gateway's exit code")
        gw = None

    try:
        return harness.run_checks("mqtt_clientid_takeover_test", work, chk, body)
    finally:
        if gw is not None:
            gw.kill()
            gw.close_files()
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
