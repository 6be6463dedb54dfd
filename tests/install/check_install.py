#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""check_install: what `meson install --destdir` puts where, and that it works.

Installs the build into a scratch DESTDIR, then checks:

- every file meson installs lands under DESTDIR, and the programs
  (vfailover, vfprobe, vfprobe-offline, vfmigrate, vfo-ctl), the example
  configurations, the man pages, the headers, the archives, vfailover.pc,
  the systemd unit and its CPU-pinning drop-in example are there;
- each installed program answers --help with exit status 0;
- each man page renders without a warning (man --warnings), and its source
  documents exactly the long options the program's --help lists (vfailover:
  and every INI key);
- an application outside the project compiles and links against the
  installed headers and archives through pkg-config and runs (consumer.c),
  and each installed header compiles on its own;
- systemd-analyze verify accepts vfailover@NAME.service with the drop-in, in
  a scratch root holding the installed tree and the system's own units;
  warnings count as failures.

    check_install.py BUILD_DIR SOURCE_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

PROGRAMS = {  # program: (man page source, section, argv for --help)
    "vfailover": ("app/vfailover.8.scd", "8", ["--help"]),
    "vfprobe": ("probe/vfprobe.1.scd", "1", ["--help"]),
    "vfprobe-offline": ("probe/vfprobe-offline.1.scd", "1", ["--help"]),
    "vfmigrate": ("orchestrator/vfmigrate.8.scd", "8", ["--help"]),
    "vfo-ctl": ("scripts/vfo-ctl.8.scd", "8", ["--help"]),
}
EXAMPLES = ["demo-memif.ini", "two-uplinks.ini", "sriov-example.ini", "qemu-failover.ini",
            "example.env"]
failures = []


def fail(msg):
    """Records a failed check (all checks run; the exit status sums them up)."""
    print(f"check_install: FAIL: {msg}", flush=True)
    failures.append(msg)


def check(cond, msg):
    """Records 'msg' as a failure unless 'cond'."""
    if not cond:
        fail(msg)
    return cond


def run(argv, **kw):
    """Runs argv; returns the CompletedProcess (text, captured; 'input' is
    fed to its stdin)."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)


def options_of_help(text):
    """Returns the set of long options a --help text defines: those at the
    start of its indented lines, up to the gap before the description
    ("  --live, --p2p     live ...")."""
    opts = set()
    for line in text.splitlines():
        body = line.lstrip(" ")
        if body != line and body.startswith("-"):
            head = body.split("  ", 1)[0]
            opts |= set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", head))
    return opts


def options_of_man(src):
    """Returns the long options the OPTIONS section of scdoc source 'src'
    defines: those on its entry lines (lines that start with '*')."""
    m = re.search(r"^# OPTIONS\n(.*?)(?=^# )", src, re.M | re.S)
    if not m:
        return set()
    opts = set()
    for line in m.group(1).splitlines():
        if line.startswith("*"):
            opts |= set(re.findall(r"\*(--[a-z][a-z0-9-]*)\*", line))
    return opts


def check_man(name, page, src_path, help_text):
    """Checks man page 'page' (installed) and its source against help_text."""
    r = run(["man", "--warnings", "-l", page], env=dict(os.environ, MANWIDTH="80"))
    check(r.returncode == 0 and "NAME" in r.stdout and not r.stderr.strip(),
          f"man page {page} does not render cleanly: {r.stderr.strip()[:500]}")
    check("@sysconfdir@" not in r.stdout, f"man page {page} holds an unsubstituted @sysconfdir@")
    with open(src_path) as f:
        src = f.read()
    want, have = options_of_help(help_text), options_of_man(src)
    for o in sorted(want - have):
        fail(f"{name} --help lists {o}, but {src_path} has no entry for it: document it there")
    for o in sorted(have - want):
        fail(f"{src_path} documents {o}, which '{name} --help' does not list: remove it")
    if name == "vfailover":
        keys = re.search(r"Sections and their keys:\n(.*?)\n  Values", help_text, re.S)
        check(keys, "vfailover --help lists no INI keys")
        if keys:
            for k in re.findall(r"[a-z][a-z0-9-]*", re.sub(r"\[[^]]*\]|\([^)]*\)", "",
                                                          keys.group(1))):
                check(f"*{k}*" in src, f"INI key {k} is not documented in {src_path}")


def verify_unit(destdir, unitdir, docdir):
    """systemd-analyze verify of an instance with the drop-in example."""
    sa = shutil.which("systemd-analyze")
    if not check(sa, "systemd-analyze not found; run scripts/setup"):
        return
    with tempfile.TemporaryDirectory(prefix="vfo-unit-") as root:
        shutil.copytree(destdir, root, dirs_exist_ok=True, symlinks=True)
        shutil.copytree("/lib/systemd/system", os.path.join(root, "lib/systemd/system"),
                        dirs_exist_ok=True, symlinks=True)
        dropin = os.path.join(root, "etc/systemd/system/vfailover@demo.service.d")
        os.makedirs(dropin)
        shutil.copy(os.path.join(destdir + docdir, "examples/vfailover-cpu-pinning.conf"),
                    os.path.join(dropin, "cpu-pinning.conf"))
        r = run([sa, "verify", f"--root={root}", "--man=no", "vfailover@demo.service"])
        check(r.returncode == 0 and not (r.stdout + r.stderr).strip(),
              f"systemd-analyze verify vfailover@demo.service (exit {r.returncode}): "
              f"{(r.stdout + r.stderr).strip()}")
        unit = os.path.join(root, unitdir.lstrip("/"), "vfailover@.service")
        with open(unit) as f:
            text = f.read()
        for want in ("Type=notify", "Restart=on-failure", "KillSignal=SIGTERM",
                     "After=dpdk.service"):
            check(want in text, f"the unit lacks {want}")


def check_library(destdir, libdir, srcdir, tmp):
    """Builds and runs consumer.c against the installed library."""
    pcdir = os.path.join(tmp, "pkgconfig")
    os.makedirs(pcdir)
    with open(os.path.join(destdir + libdir, "pkgconfig", "vfailover.pc")) as f:
        pc = f.read()
    prefix = re.search(r"^prefix=(.*)$", pc, re.M).group(1)
    with open(os.path.join(pcdir, "vfailover.pc"), "w") as f:
        f.write(pc.replace(f"prefix={prefix}", f"prefix={destdir}{prefix}", 1))
    env = dict(os.environ, PKG_CONFIG_PATH=pcdir)
    r = run(["pkg-config", "--cflags", "--libs", "vfailover"], env=env)
    if not check(r.returncode == 0, f"pkg-config vfailover: {r.stderr.strip()}"):
        return
    cflags = r.stdout.split()
    incdir = next(f[2:] for f in cflags if f.startswith("-I") and f.endswith("/vfailover"))
    for h in sorted(os.listdir(incdir)):  # each public header compiles on its own
        rh = run(["cc", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-x", "c", "-"] + cflags,
                 input=f"#include <{h}>\n")
        check(rh.returncode == 0, f"installed header {h} does not compile on its own:\n"
              f"{rh.stderr[-1500:]}")
    exe = os.path.join(tmp, "consumer")
    r = run(["cc", "-Wall", "-Wextra", "-Werror", "-o", exe,
             os.path.join(srcdir, "tests/install/consumer.c")] + r.stdout.split())
    if not check(r.returncode == 0, f"consumer.c does not build against the installed "
                 f"library:\n{r.stderr[-2000:]}"):
        return
    r = run([exe])
    check(r.returncode == 0, f"consumer exit {r.returncode}: {r.stdout} {r.stderr[-1000:]}")
    print(r.stdout.strip(), flush=True)


def main():
    build, srcdir = (os.path.abspath(a) for a in sys.argv[1:3])
    opts = {o["name"]: o["value"] for o in json.loads(
        run(["meson", "introspect", "--buildoptions", build]).stdout)}
    prefix = opts["prefix"]

    def path(opt):
        v = opts[opt]
        return v if v.startswith("/") else os.path.join(prefix, v)
    bindir, sysconfdir, mandir = path("bindir"), path("sysconfdir"), path("mandir")
    libdir, includedir = path("libdir"), path("includedir")
    docdir = os.path.join(path("datadir"), "doc", "vfailover")
    with tempfile.TemporaryDirectory(prefix="vfo-install-") as tmp:
        destdir = os.path.join(tmp, "dest")
        r = run(["meson", "install", "-C", build, "--no-rebuild", "--destdir", destdir])
        if not check(r.returncode == 0, f"meson install failed:\n{r.stdout[-2000:]}"
                     f"{r.stderr[-2000:]}"):
            return
        installed = json.loads(run(["meson", "introspect", "--installed", build]).stdout)
        for dst in installed.values():
            check(os.path.exists(destdir + dst), f"{dst} is not under DESTDIR")
        print(f"check_install: {len(installed)} files installed under {destdir}", flush=True)
        unitdir = os.path.dirname(next((d for d in installed.values()
                                        if d.endswith("/vfailover@.service")), "/"))
        want = [os.path.join(bindir, p) for p in PROGRAMS]
        want += [os.path.join(mandir, f"man{s}", f"{p}.{s}") for p, (_, s, _) in
                 PROGRAMS.items()]
        want += [os.path.join(sysconfdir, "vfailover/examples", e) for e in EXAMPLES]
        want += [os.path.join(includedir, "vfailover", h) for h in
                 ("vfo_uplink.h", "vfo_pool.h", "vfo_fwd.h", "vfo_ctl.h")]
        want += [os.path.join(libdir, a) for a in
                 ("libvfailover.a", "libvfoctl.a", "libvfoport.a", "pkgconfig/vfailover.pc")]
        want += [os.path.join(path("datadir"), "vfailover/python/vfolib", m) for m in
                 ("__init__.py", "checks.py", "ctl.py", "jsonlines.py")]
        want += [os.path.join(unitdir, "vfailover@.service"),
                 os.path.join(docdir, "examples/vfailover-cpu-pinning.conf")]
        for w in want:
            check(os.path.isfile(destdir + w), f"{w} is not installed")
        for prog, (src, section, argv) in PROGRAMS.items():
            exe = destdir + os.path.join(bindir, prog)
            if not check(os.access(exe, os.X_OK), f"{exe} is not executable"):
                continue
            r = run([exe] + argv)
            check(r.returncode == 0 and "--help" in r.stdout,
                  f"installed {prog} --help: exit {r.returncode} {r.stderr[-300:]}")
            page = destdir + os.path.join(mandir, f"man{section}", f"{prog}.{section}")
            if os.path.isfile(page):
                check_man(prog, page, os.path.join(srcdir, src), r.stdout)
        check_library(destdir, libdir, srcdir, tmp)
        verify_unit(destdir, unitdir, docdir)
    if failures:
        print(f"check_install: {len(failures)} check(s) failed", flush=True)
        sys.exit(1)
    print("check_install: PASS", flush=True)


if __name__ == "__main__":
    main()
