"""What the /metrics and Admin tests (metrics_admin_test.py,
metrics_admin_auth_test.py) share: the gateway config (three file-sink
modules and a Kinesis module whose endpoint refuses connections), the API
key, streamgate-ctl runs, /metrics scrapes and sink byte counts.
"""

import os
import subprocess
import urllib.request

import harness

CALL_TIMEOUT = 10.0
API_KEY = "metrics-admin-test-key-0123456789"

CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
metrics: {{listen: "127.0.0.1:{metrics_port}"}}
shutdown_timeout_ms: 2000
devices:
  - {{id: 42, home_id: 7, class: thermostat}}
modules:
  - id: all
    description: "temperatures and alarms"
    subscribe_events: ["temp", "alarm"]
    sink: {{type: file, path: "{dir}/all.jsonl"}}
  - id: alarms
    description: alarms only, random keys
    subscribe_events: ["alarm"]
    use_uuid: true
    sink: {{type: file, path: "{dir}/alarms.jsonl"}}
  - id: telemetry
    bulk_data_label: telemetry
    sink: {{type: file, path: "{dir}/telemetry.jsonl"}}
  - id: kin-bad
    description: Kinesis with an endpoint that refuses connections
    subscribe_events: ["kin.test"]
    sink:
      type: kinesis
      stream_name: nowhere
      region: us-east-1
      endpoint: "http://127.0.0.1:1"
      connect_timeout_ms: 500
      request_timeout_ms: 1000
      initial_backoff_ms: 50
      max_backoff_ms: 200
{extra}"""


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=CALL_TIMEOUT) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), \
            resp.read().decode("utf-8")


def sink_bytes(path, chk, label):
    total = 0
    lines = harness.read_sink_lines(path, chk, label)
    for _, key, data in lines:
        total += len(data) + len(key.encode())
    return len(lines), total


def run_ctl(ctl, args, env_key=None):
    env = dict(os.environ)
    env.pop("STREAMGATE_API_KEY", None)
    if env_key is not None:
        env["STREAMGATE_API_KEY"] = env_key
    res = subprocess.run([ctl] + args, capture_output=True, text=True,
                         timeout=60, env=env)
    return res.returncode, res.stdout, res.stderr


def set_aws_env():
    """Dummy static credentials for the Kinesis module (it must get as far
    as its refused endpoint), inherited by the gateways started later."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIDSTREAMGATETEST")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
