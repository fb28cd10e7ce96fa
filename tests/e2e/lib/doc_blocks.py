"""The fenced code blocks of the project's Markdown files, and their markers.

The rules (documented for writers in docs/shell-blocks.md):

- A **shell block** is a fence whose info string is sh, bash, shell, zsh,
  console or shell-session; or an unlabelled fence holding a `$ ` prompt
  line, or a line that starts with a command (a known program, a path to a
  file of the repository, `./x`, or `build/bin/x`, optionally after VAR=x
  assignments).
- Every shell block must be preceded (the nearest non-blank line above the
  fence) by one marker:
    <!-- illustrative: REASON -->       not run (REASON is required)
    <!-- tested -->                     run by tests/e2e/readme_blocks_test.py
    <!-- tested: OPTION; OPTION -->     the same, with options
    <!-- tested-by: SCRIPT ID -->       run by the test SCRIPT (a file under
                                        tests/), which must contain "ID"
- A yaml block may be marked `<!-- tested: check-config -->`: it must be a
  complete config that `streamgate --check-config` accepts.

Single-threaded; no dependencies beyond the standard library.
"""

import os
import re
import shlex

SHELL_INFOS = {"sh", "bash", "shell", "zsh", "console", "shell-session"}
# Programs that, at the start of a line of an unlabelled block, make it a
# shell block.
KNOWN_COMMANDS = {
    "apt", "apt-get", "sudo", "cmake", "cpack", "ctest", "make", "ninja", "cd",
    "export", "printf", "echo", "cat", "curl", "node", "npm", "npx", "python3",
    "/usr/bin/python3", "mosquitto", "mosquitto_pub", "mosquitto_sub",
    "mosquitto_passwd", "touch", "chown", "chmod", "mkdir", "rm", "cp", "mv",
    "kill", "pkill", "systemctl", "journalctl", "git", "openssl", "runuser",
    "nginx", "perf", "dpkg", "dpkg-deb", "protoc", "for", "while",
    "streamgate", "streamgate-sim", "streamgate-ctl", "streamgate-tail",
    "streamgate-load", "streamgate-kinesis-null", "mqtt_load", "docker",
}
MARKER = re.compile(r"^\s*<!--\s*(illustrative|tested-by|tested)\s*"
                    r"(?::\s*(.*?))?\s*-->\s*$")
ANY_COMMENT_MARKER = re.compile(r"^\s*<!--\s*(illustrative|tested)")
FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)(.*)$")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# Folders that hold no user documentation.
SKIP_DIRS = {".git", "node_modules", "tests", ".ci"}


class Block:
    """One fenced block of one Markdown file."""

    def __init__(self, path, rel, line, info, text, marker_kind, marker_arg,
                 marker_line):
        self.path = path              # absolute path of the .md file
        self.rel = rel                # path relative to the source dir
        self.line = line              # 1-based line of the opening fence
        self.info = info              # the fence's info string ("" if none)
        self.text = text              # the block's lines, de-indented
        self.marker_kind = marker_kind  # "illustrative", "tested", ... or None
        self.marker_arg = marker_arg or ""
        self.marker_line = marker_line
        self.is_shell = False

    def where(self):
        return "%s:%d" % (self.rel, self.line)

    def options(self):
        """For `tested`: {name: value or ""} from `a; b: value`."""
        out = {}
        for item in self.marker_arg.split(";"):
            item = item.strip()
            if not item:
                continue
            name, _, value = item.partition(":")
            out[name.strip()] = value.strip()
        return out


def markdown_files(src_dir):
    """Every user-facing .md file under src_dir (not tests/, not build
    trees, not node_modules), sorted."""
    out = []
    for root, dirs, files in os.walk(src_dir):
        rel_root = os.path.relpath(root, src_dir)
        dirs[:] = sorted(d for d in dirs
                         if d not in SKIP_DIRS and not d.startswith("build")
                         and not (rel_root == "." and d.startswith(".")))
        for f in sorted(files):
            if f.endswith(".md"):
                out.append(os.path.join(root, f))
    return out


def parse(path, src_dir):
    """All fenced blocks of one file, with the marker above each."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    rel = os.path.relpath(path, src_dir)
    blocks = []
    i = 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3)
        close = re.compile(r"^\s*" + re.escape(fence[0]) + "{%d,}\\s*$" %
                           len(fence))
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        body = [l[indent:] if l[:indent].strip() == "" else l.lstrip()
                for l in lines[i + 1:j]]
        k = i - 1
        while k >= 0 and lines[k].strip() == "":
            k -= 1
        kind = arg = None
        marker_line = None
        if k >= 0:
            mm = MARKER.match(lines[k])
            if mm:
                kind, arg, marker_line = mm.group(1), mm.group(2), k + 1
            elif ANY_COMMENT_MARKER.match(lines[k]):
                kind, marker_line = "malformed", k + 1
                arg = lines[k].strip()
        b = Block(path, rel, i + 1, info, "\n".join(body) + "\n", kind, arg,
                  marker_line)
        b.is_shell = is_shell(info, body, src_dir)
        blocks.append(b)
        i = j + 1
    return blocks


def _starts_with_command(line, src_dir):
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        words = line.split()
    while words and ASSIGNMENT.match(words[0]):
        words = words[1:]
    if not words:
        return False
    w = words[0]
    if w in KNOWN_COMMANDS or w.startswith("./") or w.startswith("build/bin/"):
        return True
    candidate = os.path.join(src_dir, w)
    return "/" in w and not w.startswith("/") and os.path.isfile(candidate)


def is_shell(info, body, src_dir):
    if info.lower() in SHELL_INFOS:
        return True
    if info:
        return False
    for line in body:
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("$ ") or _starts_with_command(s, src_dir):
            return True
    return False


def all_blocks(src_dir):
    out = []
    for path in markdown_files(src_dir):
        out.extend(parse(path, src_dir))
    return out


def tested_by(src_dir, script_name):
    """{ID: Block} for every block marked `tested-by: <script_name> ID`."""
    out = {}
    for b in all_blocks(src_dir):
        if b.marker_kind != "tested-by":
            continue
        parts = b.marker_arg.split()
        if len(parts) == 2 and os.path.basename(parts[0]) == script_name:
            out[parts[1]] = b
    return out


def shell_commands(text):
    """The commands of an sh block: backslash-continued lines joined,
    blank and comment-only lines dropped (inline comments are left to the
    shell)."""
    cmds, cur = [], ""
    for line in text.split("\n"):
        if not cur and (not line.strip() or line.strip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        cur += line
        cmds.append(cur.strip())
        cur = ""
    if cur.strip():
        cmds.append(cur.strip())
    return cmds


def console_session(text):
    """[(command, [expected output lines])] of a console block: `$ ` lines
    are commands (a trailing backslash continues onto the next line), the
    lines up to the next `$ ` line are its output."""
    out = []
    cont = False
    for line in text.rstrip("\n").split("\n"):
        if cont:
            cmd, expected = out[-1]
            out[-1] = (cmd.rstrip()[:-1] + " " + line.strip(), expected)
            cont = line.rstrip().endswith("\\")
        elif line.startswith("$ "):
            out.append((line[2:].strip(), []))
            cont = line.rstrip().endswith("\\")
        elif out:
            out[-1][1].append(line)
    return [(c.strip(), e) for c, e in out]
