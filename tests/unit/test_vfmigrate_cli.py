#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""vfmigrate_cli: the vfmigrate program on libvirt's test driver.

The test driver has no device detach, so a run with --no-guest gets past
preflight, the reservation of a destination VF and the (empty) steering,
fails at the detach and rolls back (the VF is still attached: steering
goes back; the reservation is given up): exit 3 and the report shows it.  Also: a guest that cannot be reached stops it at guest_check
(exit 1, nothing changed); --parallel 2 over vm1 and a domain without the
VF gives one timeline each and the highest exit status; --evacuate picks the
source's vfailover domains, stops after the first failure (the rest
"skipped") or, with --on-failure continue, runs them all, and adds its
summary; --json -; bad options exit 2 with one line; --help exits 0.

    test_vfmigrate_cli.py VFMIGRATE_BIN DATA_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

BIN, DATA = sys.argv[1], os.path.abspath(sys.argv[2])
LOCKS = tempfile.mkdtemp(prefix="vfm-cli-locks.")
SRC = f"test://{DATA}/vfm-node.xml"
DST = f"test://{DATA}/vfm-dst.xml"


def run(*args):
    """Runs vfmigrate with args; returns (exit status, stdout, stderr)."""
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def check(cond, msg):
    """Fails the test with msg unless cond."""
    if not cond:
        print(f"vfmigrate_cli: FAIL: {msg}")
        sys.exit(1)


def steps(dom):
    """Returns [(step, ok), ...] of a domain's report."""
    return [(s["step"], s["ok"]) for s in dom["timeline"]]


base = ["--src", SRC, "--dst", DST, "--vf", "ua-vf0", "--json", "-", "--lock-dir", LOCKS]
rc, out, err = run(*base, "--no-guest", "--steer-backup", "true", "vm1")
rep = json.loads(out)
dom = rep["domains"][0]
check(rc == 3 and rep["exit"] == 3, f"--no-guest run: exit {rc}, report {rep['exit']}; {err}")
check(dom["outcome"] == "rolled_back", f"outcome {dom['outcome']}")
check(steps(dom) == [("preflight", True), ("reserve", True), ("steer_backup", True),
                     ("detach", False), ("steer_vf_source", True)], f"steps {steps(dom)}")
check("detach of ua-vf0 refused" in dom["error"], f"error {dom['error']}")
check(dom["timeline"][2]["detail"]["hook"] == "true", "steer_backup hook detail")
resv = dom["timeline"][1]["detail"]
key = dom["timeline"][0]["detail"]["dst_key"]
check(resv["reserved"] and resv["vf"] == "pool:vfpool" and key.startswith("uri-test_"),
      f"reserve detail {resv}, key {key}")
with open(f"{LOCKS}/dst-{key}.json") as f:
    check(json.load(f) == {"reservations": []}, "the reservation is given up at the rollback")
check("vfmigrate: vm1: rolled_back (exit 3): detach: detach of ua-vf0 refused" in err,
      f"summary line: {err}")

rc, out, err = run(*base, "vm1")
dom = json.loads(out)["domains"][0]
check(rc == 1 and dom["outcome"] == "not_started", f"unreachable guest: exit {rc}")
check(steps(dom) == [("preflight", True), ("guest_check", False)], f"steps {steps(dom)}")
check("cannot connect to control socket /run/vfm-test/vm1.org.vfailover.0" in dom["error"],
      f"error {dom['error']}")

rc, out, err = run(*base, "--no-guest", "--parallel", "2", "vm1", "plain")
rep = json.loads(out)
by = {d["domain"]: d for d in rep["domains"]}
check(rc == 3 and sorted(by) == ["plain", "vm1"], f"--parallel 2: exit {rc}, {sorted(by)}")
check(by["plain"]["exit"] == 1 and "no interface with alias ua-vf0" in by["plain"]["error"],
      f"plain: {by['plain']['error']}")
check(by["vm1"]["exit"] == 3, f"vm1: {by['vm1']['exit']}")

rc, out, err = run("--dst", DST, "vm1")
check(rc == 2 and err == "vfmigrate: no VF interface: give --vf ALIAS or --vf MAC (see virsh "
      "domiflist)\n", f"no --vf: exit {rc}: {err!r}")
# Another run (this process: alive) holds the one device --vf-xml names:
# --no-vf abort stops at the reservation, --no-vf backup goes on.
vfxml = f"{LOCKS}/vf.xml"
with open(vfxml, "w") as f:
    f.write("<interface type='hostdev' managed='yes'><source><address type='pci' "
            "domain='0x0000' bus='0x03' slot='0x10' function='0x4'/></source></interface>\n")


def seed(mac):
    """Makes the reservations of the destination one entry of a live run
    holding vf.xml's device with MAC 'mac'."""
    entry = {"id": "other-1", "vf": "pci:0000:03:10.4", "mac": mac, "domain": "other",
             "host": os.uname().nodename, "pid": os.getpid()}
    with open(f"{LOCKS}/dst-{key}.json", "w") as f:
        json.dump({"reservations": [entry]}, f)


seed("52:54:00:99:99:99")
rc, out, err = run(*base, "--no-guest", "--vf-xml", vfxml, "vm1")
dom = json.loads(out)["domains"][0]
check(rc == 1 and steps(dom) == [("preflight", True), ("reserve", False)] and
      "no free VF on the destination: pci:0000:03:10.4 has 0 of 1 in use and 1 reserved" in
      dom["error"], f"--no-vf abort (default): exit {rc}, {steps(dom)}, {dom['error']}")
rc, out, err = run(*base, "--no-guest", "--vf-xml", vfxml, "--no-vf", "backup", "vm1")
dom = json.loads(out)["domains"][0]
check(rc == 3 and steps(dom) == [("preflight", True), ("reserve", True), ("steer_backup", True),
                                 ("detach", False), ("steer_vf_source", True)] and
      dom["timeline"][1]["detail"]["reserved"] is False,
      f"--no-vf backup: exit {rc}, {steps(dom)}, {dom['timeline'][1]}")
seed(dom["timeline"][0]["detail"]["vf"]["mac"])
rc, out, err = run(*base, "--no-guest", "--no-vf", "backup", "vm1")
dom = json.loads(out)["domains"][0]
check(rc == 1 and "is reserved on the destination for domain 'other'" in dom["error"],
      f"MAC reserved by another run: exit {rc}, {dom['error']}")
os.unlink(f"{LOCKS}/dst-{key}.json")
rc, out, err = run(*base, "--no-guest", "--lock-dir", "/proc/vfm-no", "vm1")
dom = json.loads(out)["domains"][0]
check(rc == 1 and steps(dom) == [("preflight", True), ("reserve", False)] and
      "cannot create the reservation directory /proc/vfm-no" in dom["error"],
      f"unusable --lock-dir: exit {rc}, {steps(dom)}, {dom['error']}")
# --evacuate: a source with two vfailover domains (vm1 and a copy, vm2) and
# "plain"; the test driver refuses every detach, so each run rolls back.
with open(f"{DATA}/vfm-node.xml") as f:
    node = f.read()
i, j = node.index("  <domain type='test'>"), node.index("  </domain>") + len("  </domain>\n")
vm2 = (node[i:j].replace("<name>vm1</name>", "<name>vm2</name>")
       .replace("782e98a23fa0", "782e98a23fb0").replace("52:54:00:aa:00:0", "52:54:00:ab:00:0")
       .replace("vm1.org.vfailover.0", "vm2.org.vfailover.0"))
evac_node = f"{LOCKS}/evac-node.xml"
with open(evac_node, "w") as f:
    f.write(node[:j] + vm2 + node[j:])
evac = ["--src", f"test://{evac_node}", "--dst", DST, "--vf", "ua-vf0", "--json", "-",
        "--lock-dir", LOCKS, "--no-guest", "--evacuate"]
rc, out, err = run(*evac)
rep = json.loads(out)
ev = rep["evacuation"]
check(rc == 3 and [d["domain"] for d in rep["domains"]] == ["vm1", "vm2"] and
      [d["outcome"] for d in rep["domains"]] == ["rolled_back", "skipped"] and
      ev["outcomes"] == {"rolled_back": 1, "skipped": 1} and ev["on_failure"] == "stop" and
      ev["domains"] == 2, f"--evacuate (stop on failure): exit {rc}, {out}")
check("vfmigrate: evacuating 2 domain(s), 1 at a time" in err and
      "vfmigrate: evacuation of 2 domain(s) from test://" in err and
      "1 rolled_back 1 skipped" in err, f"evacuation lines: {err}")
rc, out, err = run(*evac, "--on-failure", "continue")
rep = json.loads(out)
check(rc == 3 and [d["outcome"] for d in rep["domains"]] == ["rolled_back"] * 2 and
      rep["evacuation"]["on_failure"] == "continue",
      f"--evacuate --on-failure continue: exit {rc}, {out}")
# Two at a time, the destination's pool has one VF: a run that reserves it
# while the other holds it finds none and does not start (which happens
# depends on timing: a rollback gives the VF back).
rc, out, err = run(*evac, "--on-failure", "continue", "--parallel", "2")
rep = json.loads(out)
outs = sorted((d["outcome"], d["error"]) for d in rep["domains"])
why = {"not_started": "reserve: no free VF on the destination",
       "rolled_back": "detach: detach of ua-vf0 refused"}
check(rc == 3 and len(outs) == 2 and outs[-1][0] == "rolled_back" and
      all(o in why and e.startswith(why[o]) for o, e in outs) and
      rep["evacuation"]["parallel"] == 2, f"--evacuate --parallel 2: exit {rc}, {outs}")
rc, out, err = run(*evac, "--channel-name", "org.none.0")
check(rc == 3 and "evacuating 2 domain(s)" in err,
      f"--evacuate --no-guest ignores the channel: exit {rc}: {err}")
rc, out, err = run(*evac[:-2], "--evacuate", "--channel-name", "org.none.0")
check(rc == 1 and "--evacuate: no running domain of the source has the guest channel "
      "'org.none.0'" in err, f"--evacuate, nothing to migrate: exit {rc}: {err!r}")

rc, out, err = run("--src", "test:///nonexistent.xml", "--dst", DST, "--vf", "x", "vm1")
check(rc == 1 and "cannot connect to the source test:///nonexistent.xml" in err,
      f"bad URI: exit {rc}: {err!r}")
rc, out, err = run("--help")
check(rc == 0 and out.startswith("Usage: vfmigrate"), f"--help: exit {rc}")
shutil.rmtree(LOCKS)
print("vfmigrate_cli: PASS")
