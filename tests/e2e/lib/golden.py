"""Golden-file plumbing for the e2e "nothing else changed" tests
(golden_*_test.py): the golden directory, the --update flag, an exact
comparison that prints a unified diff; bounded waits (from peers.py).

A golden test renders what the binary did as text (normalising only what
legitimately varies run to run), then compares it byte for byte with a file
under tests/e2e/golden/. `--update` rewrites the file from this run instead
(then review the git diff before committing it).
"""

import difflib
import os
import shutil
import sys

from peers import wait_until  # noqa: F401 (the tests call golden.wait_until)

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "golden")


def split_args(argv, usage, n_positional):
    """Returns (positional args, update flag); exits 2 with `usage` when the
    arguments do not fit."""
    args = list(argv[1:])
    update = "--update" in args
    args = [a for a in args if a != "--update"]
    if len(args) != n_positional or any(a.startswith("--") for a in args):
        print(usage)
        sys.exit(2)
    return args, update


def compare(actual, golden_path, update, keep_dir=None):
    """Compares `actual` (text) with the golden file. With `update`, writes
    it instead. Returns True when they match (or were updated); on a
    mismatch prints a unified diff (golden -> this run) and, if keep_dir is
    given, saves this run's text there for inspection."""
    rel = os.path.relpath(golden_path, GOLDEN_DIR)
    if update:
        os.makedirs(os.path.dirname(golden_path), exist_ok=True)
        with open(golden_path, "w", encoding="utf-8", newline="") as f:
            f.write(actual)
        print("golden %s rewritten (%d lines): review `git diff` before "
              "committing" % (rel, actual.count("\n")))
        return True
    try:
        with open(golden_path, encoding="utf-8", newline="") as f:
            expected = f.read()
    except OSError as e:
        print("FAIL: cannot read golden %s (%s); create it with --update"
              % (golden_path, e))
        return False
    if actual == expected:
        print("golden %s matches (%d lines)" % (rel, expected.count("\n")))
        return True
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True), actual.splitlines(keepends=True),
        fromfile="golden/" + rel, tofile="this run", n=2)
    text = "".join(d if d.endswith("\n") else d + "\n\\ No newline at end\n"
                   for d in diff)
    print("FAIL: output differs from golden/%s (- golden, + this run):" % rel)
    print(text, end="")
    if keep_dir:
        path = os.path.join(keep_dir, os.path.basename(golden_path) + ".actual")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(actual)
        print("this run's text: " + path)
    return False


def verdict(name, ok, work):
    """Prints the test's verdict; removes `work` when it passed (else keeps
    it for a look). Returns the exit code."""
    if not ok:
        print("%s: FAILED (work dir kept: %s)" % (name, work))
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("%s: passed" % name)
    return 0
