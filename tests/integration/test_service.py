#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""service: vfailover run the way vfailover@NAME.service runs it.

This machine has no systemd as PID 1, so the test plays the service manager
with the unit the build generated (systemd/vfailover@.service), following
what systemd.service(5) and systemd.exec(5) say it does with each setting:
it reads EnvironmentFile (NAME.env: EAL_ARGS, VFAILOVER_ARGS), expands %i
and $VAR in ExecStart, creates RuntimeDirectory, gives the process a
NOTIFY_SOCKET (Type=notify) and a JOURNAL_STREAM (stderr as the journal),
stops it with KillSignal within TimeoutStopSec and runs ExecStopPost.  The
unit's paths under /etc and /run are mapped into the test's directory, its
binary to the build's.  Checked:

- READY=1 arrives once vfailover forwards; the control socket is
  /run/vfailover/NAME/ctl.sock; the DPDK runtime is vfailover-NAME with a
  multi-process socket (dpdk-dumpcap and dpdk-proc-info can attach);
- a round of traffic through the memif reflect fixture comes back exactly;
- SIGTERM: STOPPING=1, exit 0 within TimeoutStopSec, the totals (exact
  counts) in the journal at NOTICE ("<5>"), every line with a priority;
- ExecStopPost leaves no hugepage file of the instance;
- a bad configuration exits with a status in RestartPreventExitStatus (no
  restart loop), a member that does not probe exits 1, which
  Restart=on-failure restarts.

    test_service.py VFAILOVER_BIN SOURCE_DIR
"""
import os
import re
import shlex
import signal
import socket
import subprocess
import time

import vfotest
from vfotest import check, check_eq, log, wait_until

BURSTS = 4


def read_unit(path):
    """Returns {key: [values]} of every 'Key=value' line of unit file 'path'."""
    unit = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";", "[")) and "=" in line:
                k, v = line.split("=", 1)
                unit.setdefault(k, []).append(v)
    return unit


def read_env(path):
    """Reads an EnvironmentFile as systemd does (KEY=value, optional quotes)."""
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";")) and "=" in line:
                k, v = line.split("=", 1)
                env[k] = shlex.split(v)[0] if v else ""
    return env


class Service:
    """vfailover@NAME as the unit describes it, with paths mapped."""

    def __init__(self, h, unit, name, pathmap):
        self.h, self.unit, self.name, self.pathmap = h, unit, name, pathmap

    def map(self, s):
        """Expands %i and maps the unit's /etc and /run paths into the test."""
        s = s.replace("%i", self.name)
        for a, b in self.pathmap.items():
            s = s.replace(a, b)
        return s

    def argv(self, cmd):
        """Returns the argv of an Exec line: %i, paths and $VAR words expanded
        ("$VAR" as a word: the variable split at whitespace, zero words if
        unset)."""
        env_file = self.map(self.unit["EnvironmentFile"][0].lstrip("-"))
        env = read_env(env_file) if os.path.exists(env_file) else {}
        out = []
        for w in shlex.split(self.map(cmd)):
            m = re.fullmatch(r"\$(\w+)", w)
            out += env.get(m.group(1), "").split() if m else [w]
        return out

    def start(self, proc_name):
        """Starts ExecStart as the service's main process; returns the Proc."""
        for d in self.unit.get("RuntimeDirectory", []):
            os.makedirs(self.map("/run/" + d), mode=0o755, exist_ok=True)
        argv = self.argv(self.unit["ExecStart"][0])
        argv[0] = self.h.vfailover_bin
        err_path = self.h.path(f"{proc_name}.err")
        open(err_path, "wb").close()  # the Proc reopens it: same inode
        st = os.stat(err_path)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify_path = self.h.path(f"{proc_name}.notify")
        self.notify.bind(self.notify_path)
        self.notify.settimeout(0.1)
        saved = dict(os.environ)
        os.environ.update(NOTIFY_SOCKET=self.notify_path,
                          JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
        try:
            p = self.h.spawn(proc_name, argv)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.h.prefixes.used.append(f"vfailover-{self.name}")  # cleaned up with the test
        self.messages = []
        return p

    def wait_message(self, what, timeout):
        """Waits for a notification datagram holding 'what'."""
        def got():
            try:
                self.messages.append(self.notify.recv(4096).decode())
            except socket.timeout:
                pass
            return any(what in m.split("\n") for m in self.messages)
        wait_until(got, timeout, f"'{what}' on NOTIFY_SOCKET", interval=0)


def test(h):
    unit_path = os.path.join(os.path.dirname(h.vfailover_bin), "systemd", "vfailover@.service")
    check(os.path.exists(unit_path), f"{unit_path} missing; build with ninja -C build")
    unit = read_unit(unit_path)
    check_eq(unit["Type"], ["notify"], "Type")
    etc = os.path.dirname(unit["EnvironmentFile"][0].lstrip("-").replace("%i.env", ""))
    pathmap = {etc: h.path("etc"), "/run/vfailover": h.path("run")}
    name = f"vfot{os.getpid()}svc"
    os.makedirs(h.path("etc"))
    ini, env = h.path(f"etc/{name}.ini"), h.path(f"etc/{name}.env")

    # The peer serves the two memif sockets (the host's VF and backup paths).
    vf_sock, bk_sock = h.path("vf.sock"), h.path("bk.sock")
    peer = h.testpmd("peer", [f"net_memif0,role=server,socket={vf_sock},id=0",
                              f"net_memif1,role=server,socket={bk_sock},id=0"],
                     args=["--port-topology=loop", "--forward-mode=rxonly"])
    peer.cmd("set nbport 1")
    with open(ini, "w") as f:
        f.write("[global]\nfwd = io\nstats-interval = 200\n[uplink u0]\n"
                f"vf = net_memif0,role=client,socket={vf_sock},id=0\n"
                f"backup = net_memif1,role=client,socket={bk_sock},id=0\n")
    with open(env, "w") as f:
        f.write('# as configs/example.env\nEAL_ARGS="-l 1 --no-pci --log-level lib.eal:warning"\n'
                'VFAILOVER_ARGS="--no-announce"\n')

    svc = Service(h, unit, name, pathmap)
    p = svc.start("vfailover")
    log(f"ExecStart: {' '.join(p.argv)}")
    check("--in-memory" not in p.argv, "the unit runs vfailover without --in-memory")
    svc.wait_message("READY=1", 30)
    check("vfailover: forwarding" in p.stderr(), "READY=1 came before the forwarding line")
    ctl_path = h.path(f"run/{name}/ctl.sock")
    wait_until(lambda: vfotest.ctl(ctl_path, "status")["uplinks"][0]["failover"]["state"]
               == "vf_active", 15, "the uplink on its VF")
    check(os.path.exists(os.path.join(vfotest.dpdk_runtime_dir(f"vfailover-{name}"),
                                      "mp_socket")),
          "multi-process socket of --file-prefix vfailover-NAME (for dpdk-dumpcap)")

    want = BURSTS * vfotest.BURST
    peer.cmd(f"start tx_first {BURSTS}")
    wait_until(lambda: peer.port_stats(0)["rx"] >= want, 20, "the round back at the peer")
    fs = peer.stop_fwd()[0]
    check_eq((fs["tx"], fs["rx"]), (want, want), "peer TX / RX on the VF path")

    t0 = time.monotonic()
    check_eq(unit["KillSignal"], ["SIGTERM"], "KillSignal")
    p.send_signal(signal.SIGTERM)
    rc = p.wait(float(unit["TimeoutStopSec"][0]))
    log(f"exit {rc} {time.monotonic() - t0:.2f} s after SIGTERM")
    check_eq(rc, 0, "exit status after SIGTERM")
    svc.wait_message("STOPPING=1", 1)
    err = p.stderr()
    for line in err.splitlines():
        check(re.match(r"<[0-7]>", line), f"journal line without a priority: {line!r}")
    for line in (f"<5>totals: u0 vf     rx {want} pkts {want * 64} B, tx {want} pkts "
                 f"{want * 64} B", "<5>totals: u0 drops tx_full 0 no_member 0",
                 f"<5>totals: forwarded {want} pkts"):
        check(line in err, f"the journal lacks {line!r}")
    check(not os.path.exists(ctl_path), "control socket left behind")

    for cmd in unit.get("ExecStopPost", []):
        r = subprocess.run(svc.argv(cmd.lstrip("-")), capture_output=True, text=True)
        check(cmd.startswith("-") or r.returncode == 0, f"ExecStopPost {cmd}: {r.stderr}")
    left = [n for n in os.listdir("/dev/hugepages") if n.startswith(f"vfailover-{name}map_")]
    check_eq(left, [], "hugepage files of the instance after ExecStopPost")

    # Exit statuses against the restart policy.
    prevent = {int(x) for v in unit.get("RestartPreventExitStatus", []) for x in v.split()}
    check_eq(unit["Restart"], ["on-failure"], "Restart")
    with open(ini, "a") as f:
        f.write("no-such-key = 1\n")
    p = svc.start("bad_config")
    rc = p.wait(30)
    check(rc != 0 and rc in prevent, f"bad configuration: exit {rc}, not restarted "
          f"(RestartPreventExitStatus {sorted(prevent)})")
    check("no-such-key" in p.stderr(), "the bad key is named in the journal")
    with open(ini, "w") as f:
        f.write("[uplink u0]\nvf = net_nosuchdriver0\nbackup = net_null0\n")
    p = svc.start("bad_member")
    rc = p.wait(30)
    check(rc == 1 and rc not in prevent, f"a member that does not probe: exit {rc}, "
          "restarted by Restart=on-failure")


if __name__ == "__main__":
    vfotest.main(test, "service")
