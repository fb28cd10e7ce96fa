#!/usr/bin/python3
"""Golden test of `streamgate --check-config` messages ("nothing else changed").

Usage: /usr/bin/python3 golden_check_config_test.py STREAMGATE SOURCE_DIR [--update]

Runs `streamgate --check-config NAME.yaml` on every config in
tests/e2e/golden/bad_configs/ (each has exactly one defect, except
several_errors.yaml) and good_configs/ (each must print "NAME.yaml: OK" and
then the summary), plus a few other command
lines (--help, --version, --print-default-config, a missing file, bad
arguments), and records exit code, stdout and stderr of each as one block
in tests/e2e/golden/check_config.txt, compared exactly (unified diff on a
mismatch). --update rewrites that file from this run.

Each config runs from a copy of its directory with a relative file name, so
the messages (which quote the path) do not depend on where the tree is;
LC_ALL=C keeps strerror texts in English. Nothing is normalised.

Two guards run before the comparison, whatever the golden file says: every
bad config must exit non-zero (with one error line, and several_errors.yaml
with one line per defect, each naming its line) and every good one exit 0
with "NAME.yaml: OK" first;
and no config may contain a duplicate mapping key (checked with PyYAML when
it is installed): duplicate keys are about to become an error on purpose,
so they must stay out of this golden set.
Exit 0 = pass.
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import golden  # noqa: E402

GOLDEN = os.path.join(golden.GOLDEN_DIR, "check_config.txt")
RUN_TIMEOUT = 10.0
# The defects in bad_configs/several_errors.yaml, all reported at once.
SEVERAL_ERRORS = 8


def run(binary, args, cwd, stdin=b""):
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": cwd}
    try:
        res = subprocess.run([binary] + args, cwd=cwd, input=stdin,
                             capture_output=True, timeout=RUN_TIMEOUT, env=env)
        return res.returncode, res.stdout, res.stderr
    except subprocess.TimeoutExpired as e:
        return "timeout after %.0f s" % RUN_TIMEOUT, e.stdout or b"", e.stderr or b""


def block(title, code, out, err):
    lines = ["=== %s\n" % title, "exit: %s\n" % code]
    for name, data in (("stdout", out), ("stderr", err)):
        if not data:
            lines.append("%s: (empty)\n" % name)
            continue
        text = data.decode("utf-8", "backslashreplace")
        lines.append("%s:\n" % name)
        # "  | text"; an empty line is "  |" (no trailing blank to lose).
        lines.extend("  | " + ln + "\n" if ln else "  |\n"
                     for ln in text.split("\n")[:-1])
        if not text.endswith("\n"):
            lines.append("  | %s\n" % text.split("\n")[-1])
            lines.append("  (no newline at end)\n")
    return "".join(lines)


def duplicate_keys(path):
    """A description of the first duplicate mapping key in the file, None if
    there is none (or the file is not YAML PyYAML can read), or False when
    PyYAML is missing."""
    try:
        import yaml
    except ImportError:
        return False

    class Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise ValueError("key %r twice (line %d)"
                                 % (key, key_node.start_mark.line + 1))
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                           construct_mapping)
    try:
        with open(path, encoding="utf-8") as f:
            yaml.load(f, Loader=Loader)
    except ValueError as e:
        return str(e)
    except yaml.YAMLError:
        return None
    return None


def main():
    (binary, _src), update = golden.split_args(sys.argv, __doc__, 2)
    binary = os.path.abspath(binary)
    work = tempfile.mkdtemp(prefix="streamgate-golden-check-config-")
    problems = []
    out = []
    try:
        for kind in ("bad_configs", "good_configs"):
            src_dir = os.path.join(golden.GOLDEN_DIR, kind)
            dir_copy = os.path.join(work, kind)
            shutil.copytree(src_dir, dir_copy)
            names = sorted(n for n in os.listdir(dir_copy) if n.endswith(".yaml"))
            if not names:
                problems.append("no configs in " + src_dir)
            for name in names:
                dup = duplicate_keys(os.path.join(dir_copy, name))
                if dup is False:
                    print("note: PyYAML missing, duplicate-key guard skipped")
                elif dup:
                    problems.append("%s/%s has a duplicate key (%s): keep duplicate "
                                    "keys out of the golden set" % (kind, name, dup))
                code, so, se = run(binary, ["--check-config", name], dir_copy)
                out.append(block("%s/%s" % (kind, name), code, so, se))
                if kind == "bad_configs" and (code == 0 or isinstance(code, str)):
                    problems.append("bad config %s: exit %s (want non-zero)"
                                    % (name, code))
                if kind == "bad_configs":
                    lines = se.decode("utf-8", "replace").splitlines()
                    want = SEVERAL_ERRORS if name == "several_errors.yaml" else 1
                    if len(lines) != want or (want > 1 and not all(
                            "(line " in ln for ln in lines)):
                        problems.append("bad config %s: %d error line(s), want "
                                        "%d (each with its line): %r"
                                        % (name, len(lines), want, lines))
                if kind == "good_configs" and (
                        code != 0 or not so.startswith((name + ": OK\n").encode())
                        or se):
                    problems.append("good config %s: exit %s, stdout %r, "
                                    "stderr %r (want exit 0 and '%s: OK')"
                                    % (name, code, so, se, name))
        cli_dir = os.path.join(work, "cli")
        os.makedirs(cli_dir)
        for title, args, stdin in (
                ("--help", ["--help"], b""),
                ("--version", ["--version"], b""),
                ("--print-default-config", ["--print-default-config"], b""),
                ("--check-config missing.yaml", ["--check-config", "missing.yaml"],
                 b""),
                ("--check-config (no value)", ["--check-config"], b""),
                ("--frobnicate", ["--frobnicate"], b""),
                ("--hash-key (stdin 'abc\\n')", ["--hash-key"], b"abc\n"),
                ("--hash-key (empty stdin)", ["--hash-key"], b"")):
            code, so, se = run(binary, args, cli_dir, stdin)
            out.append(block("streamgate " + title, code, so, se))
        # The embedded default must itself pass --check-config.
        code, so, se = run(binary, ["--print-default-config"], cli_dir)
        with open(os.path.join(cli_dir, "default.yaml"), "wb") as f:
            f.write(so)
        code, so, se = run(binary, ["--check-config", "default.yaml"], cli_dir)
        out.append(block("--check-config of the --print-default-config output",
                         code, so, se))
    except Exception as e:  # noqa: BLE001
        problems.append("exception: %r" % e)
    for p in problems:
        print("FAIL: " + p)
    ok = golden.compare("".join(out), GOLDEN, update and not problems,
                        keep_dir=work)
    if update and problems:
        print("golden not rewritten: fix the problems above first")
    if problems or not ok:
        print("golden_check_config_test: FAILED (work dir kept: %s)" % work)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("golden_check_config_test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
