#!/usr/bin/python3
"""The Admin service and streamgate-ctl against a gateway with an API key.

Usage: /usr/bin/python3 metrics_admin_auth_test.py STREAMGATE STREAMGATE_CTL SOURCE_DIR

Starts the real gateway of metrics_admin_test.py (lib/metrics_admin.py) on
free 127.0.0.1 ports with one API key, then runs streamgate-ctl without a key
(UNAUTHENTICATED, naming STREAMGATE_API_KEY), with a wrong key, and with the
right key from STREAMGATE_API_KEY (logs and modules); the key never appears
in the gateway's log. Exit 0 = pass.
"""

import hashlib
import os
import signal
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Checker, Gateway  # noqa: E402
from metrics_admin import API_KEY, CONFIG, run_ctl, set_aws_env  # noqa: E402


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    binary, ctl, src = sys.argv[1], sys.argv[2], sys.argv[3]
    work = tempfile.mkdtemp(prefix="streamgate-metrics-auth-")
    chk = Checker()
    harness.generate_stubs(src, os.path.join(work, "stubs"), admin=True)
    set_aws_env()
    port, mport = harness.free_port(), harness.free_port()
    digest = hashlib.sha256(API_KEY.encode()).hexdigest()
    gw = Gateway(binary, work, CONFIG.format(
        port=port, metrics_port=mport, dir=os.path.join(work, "gw2"),
        extra="api_keys:\n  - {id: k1, name: ops, key_sha256: %s}\n" % digest),
        name="gw2")

    def body():
        gw.start()
        gw.serving_channel(port).close()
        target = ["--target", "127.0.0.1:%d" % port]
        rc, out, err = run_ctl(ctl, target + ["modules"])
        chk.check(rc == 1 and "UNAUTHENTICATED" in err and
                  "STREAMGATE_API_KEY" in err, "ctl without key: %d %r" % (rc, err))
        rc, out, err = run_ctl(ctl, target + ["--key", "wrong", "modules"])
        chk.check(rc == 1 and "UNAUTHENTICATED" in err and "not one it knows" in err,
                  "ctl with a wrong key: %d %r" % (rc, err))
        rc, out, err = run_ctl(ctl, target + ["logs", "all"], env_key=API_KEY)
        chk.eq(rc, 0, "ctl logs with the key from the environment (%r)" % err)
        rc, out, err = run_ctl(ctl, target + ["modules"], env_key=API_KEY)
        chk.check(rc == 0 and "kin-bad" in out, "ctl modules with the key")
        gw.signal(signal.SIGTERM)
        gw.wait_exit()
        with open(gw.stderr_path, encoding="utf-8", errors="replace") as f:
            chk.check(API_KEY not in f.read(), "key not in %s log" % gw.stderr_path)
    try:
        return harness.run_checks("metrics_admin_auth_test", work, chk, body)
    finally:
        gw.kill()
        gw.close_files()


if __name__ == "__main__":
    sys.exit(main())
