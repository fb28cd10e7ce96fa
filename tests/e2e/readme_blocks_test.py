#!/usr/bin/python3
"""Every shell block of the documentation is tested or marked illustrative.

Usage: /usr/bin/python3 readme_blocks_test.py STREAMGATE SOURCE_DIR
                                              [--sim SIM] [--ctl CTL] [--tail TAIL]

(--sim, --ctl, --tail default to streamgate-sim, -ctl, -tail next to
STREAMGATE.) The rules and markers are in docs/shell-blocks.md and
tests/e2e/lib/doc_blocks.py. This test

1. lints every fenced block of every user-facing .md file (all of them
   outside tests/, build*/ and node_modules/): a shell block without a
   marker, an illustrative marker without a reason, a malformed or unknown
   marker, a marker that is not right above a fence, `tested` on a block it
   cannot run, or a `tested-by` naming a script that does not exist or does
   not contain the block's "ID" — each is a failure;
2. syntax-checks (`bash -n`) every sh/bash block and every console command
   it does not run (a `<placeholder>` counts as one word);
3. runs the `tested` blocks in a scratch tree (symbolic links to the source
   tree's top-level folders, build/bin/ holding the binaries under test,
   first on PATH), with `/tmp/` in the block redirected to a private folder
   and, for `with-gateway`, 127.0.0.1:50051 replaced by the address of a
   gateway started here with the embedded default config on a free
   loopback port; sh blocks as one `bash -e -o pipefail` script that must
   exit 0, console blocks command by command with stdout compared to the
   lines shown; yaml blocks marked `tested: check-config` through
   `streamgate --check-config` (with /tmp/ and /var/lib/streamgate/
   redirected). Each run is bounded (30 s).

`tested-by` blocks are run by their own scripts (tests/e2e/examples_*_test.py).
Exit 0 = pass.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
import doc_blocks  # noqa: E402
import harness  # noqa: E402
from harness import Fatal  # noqa: E402

RUN_TIMEOUT = 30.0
DEFAULT_ADDR = "127.0.0.1:50051"
FIXED_PORT = re.compile(r"\b(?:127\.0\.0\.1|localhost):(\d{2,5})\b")
# Files that must be among those checked (a guard against a walk that
# silently finds nothing).
MUST_HAVE = ["README.md", "examples/README.md", "docs/product.md",
             "adapters/mqtt/README.md", "sinks/kinesis/README.md",
             "bench/README.md"]
PLACEHOLDER = re.compile(r"<[A-Za-z][^<>\n]*>")
TESTED_OPTIONS = {"with-gateway", "gateway-prints", "check-config"}


def lint(src, blocks, check):
    """Step 1: markers present, well-formed and pointing at real tests."""
    rels = {b.rel for b in blocks}
    files = {os.path.relpath(p, src) for p in doc_blocks.markdown_files(src)}
    for need in MUST_HAVE:
        check.check(need in files, "%s is not among the files checked" % need)
    check.check(len(rels) >= 4, "fewer than 4 files with code blocks: %s" %
                sorted(rels))

    # Markers that are not right above a fence.
    for path in doc_blocks.markdown_files(src):
        rel = os.path.relpath(path, src)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        in_fence = None
        for i, line in enumerate(lines):
            m = doc_blocks.FENCE_OPEN.match(line)
            if in_fence is None and m:
                in_fence = m.group(2)[0] * len(m.group(2))
                continue
            if in_fence is not None:
                if line.strip().startswith(in_fence) and \
                        line.strip().strip(in_fence[0]) == "":
                    in_fence = None
                continue
            if doc_blocks.ANY_COMMENT_MARKER.match(line):
                k = i + 1
                while k < len(lines) and not lines[k].strip():
                    k += 1
                check.check(k < len(lines) and
                            doc_blocks.FENCE_OPEN.match(lines[k]) is not None,
                            "%s:%d: marker not followed by a code block: %s"
                            % (rel, i + 1, line.strip()))

    ids = {}
    for b in blocks:
        w = b.where()
        kind = b.marker_kind
        if kind == "malformed":
            check.check(False, "%s: malformed marker (line %d): %s" %
                        (w, b.marker_line, b.marker_arg))
            continue
        if b.is_shell and kind is None:
            first = b.text.strip().split("\n")[0][:70]
            check.check(False, "%s: shell block with no marker (add "
                        "<!-- tested --> or <!-- illustrative: why --> above "
                        "it, see docs/shell-blocks.md): %s" % (w, first))
            continue
        if kind == "illustrative":
            check.check(b.marker_arg.strip() != "",
                        "%s: <!-- illustrative --> needs a reason: "
                        "<!-- illustrative: why -->" % w)
        elif kind == "tested":
            opts = b.options()
            unknown = set(opts) - TESTED_OPTIONS
            check.check(not unknown, "%s: unknown tested option(s) %s" %
                        (w, sorted(unknown)))
            if b.info == "yaml":
                check.check("check-config" in opts,
                            "%s: a tested yaml block needs "
                            "<!-- tested: check-config -->" % w)
            else:
                check.check(b.info in ("sh", "bash", "console"),
                            "%s: only sh, bash, console and yaml blocks can "
                            "be <!-- tested --> (this one is %r)" % (w, b.info))
                check.check("check-config" not in opts,
                            "%s: check-config is for yaml blocks" % w)
        elif kind == "tested-by":
            parts = b.marker_arg.split()
            if not check.check(len(parts) == 2, "%s: tested-by needs SCRIPT ID"
                               ", got %r" % (w, b.marker_arg)):
                continue
            script, bid = parts
            found = [os.path.join(r, f)
                     for r, _, fs in os.walk(os.path.join(src, "tests"))
                     if "node_modules" not in r for f in fs
                     if f == os.path.basename(script)]
            if not check.check(found, "%s: tested-by script %s not found under "
                               "tests/" % (w, script)):
                continue
            with open(found[0], encoding="utf-8") as f:
                body = f.read()
            check.check('"%s"' % bid in body, "%s: %s does not mention \"%s\""
                        " (the block is not run)" % (w, script, bid))
            check.check((script, bid) not in ids, "%s: tested-by id %s also "
                        "used at %s" % (w, bid, ids.get((script, bid))))
            ids[(script, bid)] = w


def syntax_check(blocks, check):
    """Step 2: bash -n on what is not run here."""
    for b in blocks:
        if not b.is_shell or b.marker_kind == "tested":
            continue
        if b.info == "console" or (b.info == "" and "\n$ " in "\n" + b.text):
            scripts = [c for c, _ in doc_blocks.console_session(b.text)]
        else:
            scripts = [b.text]
        for text in scripts:
            # `<placeholder words>` stand for a value the reader fills in.
            text = PLACEHOLDER.sub("PLACEHOLDER", text)
            res = subprocess.run(["bash", "-n"], input=text.encode(),
                                 capture_output=True, timeout=10)
            check.check(res.returncode == 0, "%s: bash -n: %s" % (
                b.where(), res.stderr.decode("utf-8", "replace").strip()))


class Scratch:
    """The scratch tree the tested blocks run in."""

    def __init__(self, src, work, binaries):
        self.src = src
        self.work = work
        self.tree = os.path.join(work, "tree")
        self.tmp = os.path.join(work, "tmp")
        self.bin = os.path.join(self.tree, "build", "bin")
        os.makedirs(self.bin)
        os.makedirs(self.tmp)
        os.makedirs(os.path.join(work, "home"))
        for name in os.listdir(src):
            if name.startswith("build") or name in (".git",):
                continue
            os.symlink(os.path.join(src, name), os.path.join(self.tree, name))
        for name, path in binaries.items():
            if path and os.path.exists(path):
                os.symlink(os.path.abspath(path), os.path.join(self.bin, name))
        self.env = dict(os.environ)
        self.env.update(PATH=self.bin + ":" + os.environ.get("PATH", "/usr/bin:/bin"),
                        HOME=os.path.join(work, "home"), LC_ALL="C")

    def substitute(self, text, gateway_addr=None):
        text = text.replace("/tmp/", self.tmp + "/")
        text = text.replace("/var/lib/streamgate/",
                            os.path.join(self.tmp, "var-lib-streamgate") + "/")
        if gateway_addr:
            text = text.replace(DEFAULT_ADDR, gateway_addr)
        return text

    def run(self, script):
        try:
            return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script],
                                  cwd=self.tree, env=self.env,
                                  capture_output=True, timeout=RUN_TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise Fatal("timed out after %.0f s: %s" % (RUN_TIMEOUT, script[:200]))


def lines_match(actual, expected):
    """Exact line match; an expected line "..." matches any run of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(lines_match(actual[i:], expected[1:])
                   for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and \
        lines_match(actual[1:], expected[1:])


def start_default_gateway(binary, src, work, name):
    res = subprocess.run([binary, "--print-default-config"],
                         capture_output=True, text=True, timeout=10)
    if res.returncode != 0 or DEFAULT_ADDR not in res.stdout:
        raise Fatal("--print-default-config gave no %s:\n%s%s" % (
            DEFAULT_ADDR, res.stdout, res.stderr))
    port = harness.free_port()
    addr = "127.0.0.1:%d" % port
    gw = harness.Gateway(binary, work, res.stdout.replace(DEFAULT_ADDR, addr),
                         name=name)
    gw.start()
    try:
        gw.serving_channel(port, timeout=30).close()
    except Fatal:
        gw.kill()
        gw.close_files()
        raise
    return gw, addr


def run_tested(src, work, binary, blocks, scratch, check):
    """Step 3."""
    n = 0
    for b in blocks:
        if b.marker_kind != "tested":
            continue
        n += 1
        w = b.where()
        opts = b.options()
        if "check-config" in opts:
            path = os.path.join(work, "config-%d.yaml" % n)
            with open(path, "w") as f:
                f.write(scratch.substitute(b.text))
            res = subprocess.run([binary, "--check-config", path],
                                 capture_output=True, timeout=RUN_TIMEOUT)
            check.check(res.returncode == 0, "%s: --check-config exited %d: %s"
                        % (w, res.returncode, (res.stdout + res.stderr).decode(
                            "utf-8", "replace").strip()))
            print("ran %s (check-config)" % w, flush=True)
            continue
        gw = addr = None
        if "with-gateway" in opts:
            gw, addr = start_default_gateway(binary, src, work, "gw-%d" % n)
        try:
            text = scratch.substitute(b.text, addr)
            fixed = [m.group(0) for m in FIXED_PORT.finditer(text)
                     if addr is None or m.group(0) != addr]
            if fixed:  # never run: it could bind a port others use
                check.check(False, "%s: a tested block uses the fixed "
                            "address(es) %s (use tested-by and a test with "
                            "free ports)" % (w, ", ".join(fixed)))
            elif b.info == "console":
                for cmd, expected in doc_blocks.console_session(text):
                    res = scratch.run(cmd)
                    out = res.stdout.decode("utf-8", "replace")
                    actual = out[:-1].split("\n") if out.endswith("\n") else \
                        out.split("\n") if out else []
                    check.check(res.returncode == 0, "%s: `%s` exited %d: %s" % (
                        w, cmd, res.returncode,
                        res.stderr.decode("utf-8", "replace").strip()))
                    check.check(lines_match(actual, expected),
                                "%s: `%s` printed %r, the doc shows %r" %
                                (w, cmd, actual, expected))
            else:
                res = scratch.run(text)
                check.check(res.returncode == 0, "%s: exited %d\n--- stdout\n%s"
                            "\n--- stderr\n%s" % (
                                w, res.returncode,
                                res.stdout.decode("utf-8", "replace")[-2000:],
                                res.stderr.decode("utf-8", "replace")[-2000:]))
        finally:
            if gw is not None:
                gw.signal(signal.SIGTERM)
                code = gw.wait_exit(timeout=20)
                gw.close_files()
                check.eq(code, 0, "%s: the gateway's exit status" % w)
                prefix = opts.get("gateway-prints")
                if prefix:
                    with open(gw.stdout_path, encoding="utf-8",
                              errors="replace") as f:
                        out = f.read()
                    check.check(out.startswith(prefix),
                                "%s: the gateway printed %r, the doc says it "
                                "starts with %r" % (w, out[:300], prefix))
        print("ran %s (%s)" % (w, b.info), flush=True)
    check.check(n > 0, "no tested block found")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("src")
    ap.add_argument("--sim")
    ap.add_argument("--ctl")
    ap.add_argument("--tail")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    src = os.path.abspath(args.src)
    bindir = os.path.dirname(binary)
    binaries = {
        "streamgate": binary,
        "streamgate-sim": args.sim or os.path.join(bindir, "streamgate-sim"),
        "streamgate-ctl": args.ctl or os.path.join(bindir, "streamgate-ctl"),
        "streamgate-tail": args.tail or os.path.join(bindir, "streamgate-tail"),
    }
    check = harness.Checker()
    work = tempfile.mkdtemp(prefix="sg-readme-blocks-")
    ok = False
    try:
        harness.generate_stubs(src, os.path.join(work, "stubs"))
        blocks = doc_blocks.all_blocks(src)
        lint(src, blocks, check)
        syntax_check(blocks, check)
        scratch = Scratch(src, work, binaries)
        run_tested(src, work, binary, blocks, scratch, check)
        shell = [b for b in blocks if b.is_shell]
        counts = {}
        for b in shell:
            counts[b.marker_kind] = counts.get(b.marker_kind, 0) + 1
        print("%d shell blocks: %s" % (len(shell), ", ".join(
            "%s %d" % (k, v) for k, v in sorted(counts.items(), key=str))))
        ok = not check.failures
    except Fatal as e:
        print("FATAL: %s" % e, flush=True)
    finally:
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("work dir kept: %s" % work)
    if ok:
        print("PASS (%d checks)" % check.passed)
        return 0
    print("FAIL: %d failure(s)" % len(check.failures))
    return 1


if __name__ == "__main__":
    sys.exit(main())
