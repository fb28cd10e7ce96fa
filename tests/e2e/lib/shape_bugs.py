"""What the shape-bug scripts (tests/e2e/shape_bug_*_test.py) share: the
per-case context (binaries, work dir, Checker, the gateways it started), the
gateway's log and /metrics read loosely (so a broken gateway's output is
still read), streamgate-ctl and its `modules` table, and the runner that
prints PASS/FAIL per case.

Each script is one black-box case for a known bug (red until it is fixed):
  shape_bug_kinesis_shutdown_test.py  Kinesis records unstored at SIGTERM
  shape_bug_ctl_dead_lettered_test.py streamgate-ctl DELIVERED vs dead letters
  shape_bug_stream_reject_test.py     rejected Publish stream items logged
  shape_bug_unparsable_test.py        requests gRPC cannot parse
  shape_bug_log_injection_test.py     client strings forging log lines/state
  shape_bug_duplicate_keys_test.py    duplicate YAML keys
Usage of each: /usr/bin/python3 SCRIPT STREAMGATE SOURCE_DIR [--ctl CTL]
(CTL defaults to streamgate-ctl next to STREAMGATE); exit 1 if the case
failed, 2 on bad usage. Single-threaded.
"""

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
import traceback
import urllib.request

import harness
from harness import Checker, Fatal, Gateway
from harness import read_text  # noqa: F401 (the cases read logs with it)
from peers import wait_until  # noqa: F401 (used by the cases)

CALL_TIMEOUT = 5.0
# Dummy credentials for the sinks that must get as far as the endpoint.
AWS_DUMMY = {"AWS_ACCESS_KEY_ID": "AKIDSHAPEBUGSTEST",
             "AWS_SECRET_ACCESS_KEY": "shape-bugs-dummy-not-real"}
AWS_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_CONFIG_FILE")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z (\w+) (.*)$")
WARN_LEVELS = {"warn", "warning", "error", "err", "critical"}
# A channel that reconnects quickly (the gateway may still be starting).
FAST_RECONNECT = [("grpc.initial_reconnect_backoff_ms", 50),
                  ("grpc.min_reconnect_backoff_ms", 50),
                  ("grpc.max_reconnect_backoff_ms", 200)]


class Ctx:
    """What every case gets: the binaries, a private work dir, a Checker,
    and the gateways it started (killed at the end whatever happens)."""

    def __init__(self, binary, ctl, src, work):
        self.binary, self.ctl, self.src, self.work = binary, ctl, src, work
        self.chk = Checker()
        self.gateways = []

    def gateway(self, config, name="gw", env=None):
        """Starts a gateway with `config`; `env` entries are set (None:
        removed) in its environment only."""
        gw_env = dict(os.environ, AWS_EC2_METADATA_DISABLED="true")
        for k, v in (env or {}).items():
            if v is None:
                gw_env.pop(k, None)
            else:
                gw_env[k] = v
        gw = Gateway(self.binary, self.work, config, name=name, env=gw_env)
        self.gateways.append(gw)
        gw.start()
        return gw

    def serving(self, gw, port):
        """A channel to the gateway once it is SERVING."""
        return gw.serving_channel(port, timeout=10, options=FAST_RECONNECT)

    def cleanup(self):
        for g in self.gateways:
            g.kill()
            g.close_files()


def log_lines(gw):
    """The gateway's stderr as [(level, message, raw_line)]; lines that do
    not start with a timestamp and a level get level None."""
    out = []
    for line in read_text(gw.stderr_path).split("\n"):
        m = LOG_LINE.match(line)
        out.append((m.group(1).lower(), m.group(2), line) if m
                   else (None, line, line))
    return out


def stop(gw, timeout=12):
    return gw.stop(timeout)


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=CALL_TIMEOUT) as resp:
        return resp.read().decode("utf-8")


def metric_samples(text):
    """[(name, labels_text, value)] for every sample line of /metrics."""
    out = []
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)", line)
        if m:
            try:
                out.append((m.group(1), m.group(2) or "", float(m.group(3))))
            except ValueError:
                pass
    return out


def metric(text, name, **labels):
    want = {k: v for k, v in labels.items()}
    for n, ls, v in metric_samples(text):
        if n != name:
            continue
        got = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', ls))
        if got == want:
            return v
    return None


def run_ctl(ctx, args):
    env = dict(os.environ)
    env.pop("STREAMGATE_API_KEY", None)
    res = subprocess.run([ctx.ctl] + args, capture_output=True, text=True,
                         timeout=15, env=env)
    return res.returncode, res.stdout, res.stderr


def parse_table(out):
    """Parses `streamgate-ctl modules`' table by the header's column starts
    (columns are separated by 2+ spaces; a header may contain one space, a
    value may contain spaces). Returns (header names, {module: {name: value}})."""
    lines = out.split("\n")
    hi = next((i for i, ln in enumerate(lines) if ln.startswith("MODULE")), None)
    if hi is None:
        return [], {}
    header = lines[hi]
    cols = [(m.start(), m.group(0)) for m in re.finditer(r"\S+(?: \S+)*", header)]
    rows = {}
    for ln in lines[hi + 1:]:
        if not ln.strip():
            break  # the last-error lines follow a blank line
        vals = {}
        for i, (start, name) in enumerate(cols):
            end = cols[i + 1][0] if i + 1 < len(cols) else len(ln)
            vals[name] = ln[start:end].strip()
        rows[vals.get("MODULE", "")] = vals
    return [c[1] for c in cols], rows


def column(names, pred):
    return next((n for n in names if pred(n.upper())), None)


def as_int(s):
    try:
        return int(s)
    except (TypeError, ValueError):
        return None


def run_cases(doc, cases):
    """main() of a shape-bug script: runs `cases` [(name, fn(ctx))], each
    in its own work dir, and prints PASS/FAIL per case. Returns the exit
    code."""
    ap = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("src")
    ap.add_argument("--ctl", default=None)
    args = ap.parse_args()
    ctl = args.ctl or os.path.join(os.path.dirname(os.path.abspath(args.binary)),
                                   "streamgate-ctl")
    root = tempfile.mkdtemp(prefix="streamgate-shape-bugs-")
    harness.generate_stubs(args.src, os.path.join(root, "stubs"), admin=True)
    failed = []
    for name, fn in cases:
        work = os.path.join(root, name)
        os.makedirs(work)
        ctx = Ctx(os.path.abspath(args.binary), ctl, args.src, work)
        print("=== %s" % name, flush=True)
        t0 = time.monotonic()
        try:
            fn(ctx)
        except Fatal as e:
            ctx.chk.check(False, "fatal: %s" % e)
        except Exception:
            ctx.chk.check(False, "exception:\n" + traceback.format_exc())
        finally:
            ctx.cleanup()
        verdict = "FAIL" if ctx.chk.failures else "PASS"
        print("%s %s (%.1f s, %d checks passed, %d failed)" % (
            verdict, name, time.monotonic() - t0, ctx.chk.passed,
            len(ctx.chk.failures)), flush=True)
        if ctx.chk.failures:
            failed.append(name)
    if failed:
        print("FAILED: %s (work dir kept: %s)" % (", ".join(failed), root))
        return 1
    shutil.rmtree(root, ignore_errors=True)
    print("all %d case(s) passed" % len(cases))
    return 0
