#!/usr/bin/python3
"""The Debian package: `cpack -G DEB` builds it and it holds what it should.

Usage: /usr/bin/python3 package_test.py BUILD_DIR SOURCE_DIR

Runs cpack on BUILD_DIR's CPackConfig.cmake with its output in a temp dir,
then checks with dpkg-deb: the binaries built in BUILD_DIR/bin are in
/usr/bin, the systemd unit and the conffile are there, `-I` lists the
conffile and the maintainer scripts (user creation, systemd handling), the
Depends come from dpkg-shlibdeps, the conffile's active lines are the
gateway's embedded default and the packaged gateway accepts it, and the
--help text is installed as documentation (and as a man page when help2man
was found at configure time). Exit 0 = pass.
"""

import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, flush=True)
    return cond


def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=300, check=True, **kw).stdout.decode()


def active_lines(text):
    return [l for l in text.splitlines() if l.strip() and
            not l.lstrip().startswith("#")]


def main():
    build, source = (os.path.abspath(p) for p in sys.argv[1:3])
    work = tempfile.mkdtemp(prefix="sg-pkg-test-")
    try:
        proc = subprocess.run(
            ["cpack", "-G", "DEB", "--config",
             os.path.join(build, "CPackConfig.cmake"), "-B", work],
            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            timeout=300)
        out = proc.stdout.decode()
        debs = [f for f in os.listdir(work) if f.endswith(".deb")]
        if not check(proc.returncode == 0 and len(debs) == 1,
                     "cpack rc=%d debs=%r\n%s" % (proc.returncode, debs, out)):
            return 1
        deb = os.path.join(work, debs[0])
        print("built " + debs[0], flush=True)
        check(re.match(r"^streamgate_\d+\.\d+\.\d+_amd64\.deb$", debs[0])
              is not None or debs[0].startswith("streamgate_"),
              "package file name " + debs[0])

        contents = run(["dpkg-deb", "-c", deb])
        paths = {line.split()[-1] for line in contents.splitlines()}
        expected = ["./etc/streamgate/streamgate.yaml",
                    "./lib/systemd/system/streamgate.service",
                    "./usr/share/doc/streamgate/README.md",
                    "./usr/share/doc/streamgate/streamgate.help.txt",
                    "./usr/share/doc/streamgate/simulated_events.json",
                    "./usr/share/doc/streamgate/examples/nginx-streamgate.conf"]
        binaries = [b for b in ("streamgate", "streamgate-tail",
                                "streamgate-ctl", "streamgate-sim")
                    if os.path.exists(os.path.join(build, "bin", b))]
        check("streamgate" in binaries and "streamgate-sim" in binaries,
              "streamgate and streamgate-sim are built: %r" % binaries)
        expected += ["./usr/bin/" + b for b in binaries]
        cache = open(os.path.join(build, "CMakeCache.txt")).read()
        has_help2man = re.search(r"^HELP2MAN:FILEPATH=/", cache, re.M)
        if has_help2man:
            expected.append("./usr/share/man/man1/streamgate.1.gz")
        for p in expected:
            check(p in paths, "dpkg-deb -c lists " + p)

        info = run(["dpkg-deb", "-I", deb])
        for name in ("conffiles", "postinst", "prerm", "postrm", "control"):
            check(re.search(r"^\s+\d+ bytes,\s+\d+ lines\s+\*?\s*%s\b" % name,
                            info, re.M) is not None,
                  "dpkg-deb -I lists %s:\n%s" % (name, info))
        check(run(["dpkg-deb", "-I", deb, "conffiles"]).split() ==
              ["/etc/streamgate/streamgate.yaml"], "conffiles content")
        depends = run(["dpkg-deb", "-f", deb, "Depends"])
        for lib in ("libgrpc++", "libprotobuf", "libmosquitto", "libc6",
                    "adduser"):
            check(lib in depends, "Depends has %s: %s" % (lib, depends))
        postinst = run(["dpkg-deb", "-I", deb, "postinst"])
        check("adduser --quiet --system" in postinst and
              "streamgate" in postinst, "postinst creates the user")
        check("deb-systemd-helper" in postinst and
              "daemon-reload" in postinst, "postinst handles systemd")
        check("deb-systemd-invoke stop" in run(["dpkg-deb", "-I", deb, "prerm"]),
              "prerm stops the service")

        root = os.path.join(work, "root")
        run(["dpkg-deb", "-x", deb, root])
        unit = open(os.path.join(root, "lib/systemd/system/streamgate.service")
                    ).read()
        for line in ("User=streamgate", "Restart=always",
                     "ExecReload=/bin/kill -HUP $MAINPID",
                     "ExecStart=/usr/bin/streamgate --config "
                     "/etc/streamgate/streamgate.yaml",
                     "StateDirectory=streamgate",
                     "WantedBy=multi-user.target"):
            check(line in unit.splitlines(), "unit has " + line)

        packaged = os.path.join(root, "usr/bin/streamgate")
        conffile = os.path.join(root, "etc/streamgate/streamgate.yaml")
        default = run([packaged, "--print-default-config"])
        conf_text = open(conffile).read()
        check(active_lines(conf_text) == active_lines(default),
              "the conffile's active lines are the embedded default:\n" +
              "\n".join(active_lines(conf_text)))
        check(len([l for l in conf_text.splitlines() if l.startswith("#")]) > 40,
              "the conffile documents the fields in comments")
        check(subprocess.run([packaged, "--check-config", conffile],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=60).returncode == 0,
              "packaged streamgate accepts the conffile")
        help_text = run([packaged, "--help"])
        check(open(os.path.join(root, "usr/share/doc/streamgate/"
                                "streamgate.help.txt")).read() == help_text,
              "streamgate.help.txt is --help")
        if has_help2man:
            man = gzip.open(os.path.join(
                root, "usr/share/man/man1/streamgate.1.gz")).read().decode()
            check(man.startswith(".\\\"") and ".TH STREAMGATE" in man and
                  "check\\-config" in man, "man page from --help")
        if "streamgate-sim" in binaries:
            sim_help = subprocess.run(
                [os.path.join(root, "usr/bin/streamgate-sim"), "--help"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            check(b"--transport" in sim_help.stdout,
                  "packaged streamgate-sim runs")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%s: %d failures" % ("FAIL" if failures else "PASS", len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
