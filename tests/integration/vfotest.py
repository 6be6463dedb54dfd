# SPDX-License-Identifier: BSD-3-Clause
"""vfotest — the integration tests' side of vfolib (python/vfolib).

A test is run by meson as

    SCRIPT VFAILOVER_BIN SOURCE_DIR

and does:

    import vfotest
    from vfotest import check, check_eq, log

    def test(h):                                       # h: a vfolib Harness
        peer = h.testpmd("peer", vdevs=[...])
        vfo = h.vfailover("vfo", ["--vf", ..., "--backup", ..., "--ctl", h.path("ctl.sock")])
        ...

    vfotest.main(test, "fwd_memif_exact")

Processes, their clean-up, control requests and waits are vfolib's
(see vfolib.harness); this module adds the command-line convention, the
one-line FAIL report, DPDK's telemetry socket and the memif fixture most
failover tests share.  It re-exports the vfolib names tests use, so that a
test needs one import.
"""
import json
import os
import socket
import sys
import traceback

from vfolib import checks
from vfolib.checks import Failure as TestFailure
from vfolib.checks import check, check_eq, log, wait_stable, wait_until
from vfolib.ctl import Ctl, SerialPeer, ctl, member_stats
from vfolib.eal import runtime_dir as dpdk_runtime_dir
from vfolib.failover import members_up
from vfolib.harness import Harness as _Harness
from vfolib.testpmd import BURST, TestPmd

__all__ = ["BURST", "Ctl", "Harness", "MemifReflect", "SerialPeer", "TestFailure", "TestPmd",
           "check", "check_eq", "ctl", "dpdk_runtime_dir", "log", "main", "member_stats",
           "telemetry", "wait_stable", "wait_until"]


class Harness(_Harness):
    """A vfolib Harness for the binary and source directory of argv
    (SCRIPT VFAILOVER_BIN SOURCE_DIR; defaults: $VFAILOVER or
    build/vfailover, $VFO_SRCDIR or .)."""

    def __init__(self, name, need_hugepages=True):
        args = sys.argv[1:]
        super().__init__(
            name, args[0] if len(args) > 0 else os.environ.get("VFAILOVER", "build/vfailover"),
            args[1] if len(args) > 1 else os.environ.get("VFO_SRCDIR", "."), need_hugepages)


def telemetry(sock_path, command, timeout=5.0):
    """Runs one command on a DPDK telemetry v2 socket; returns the reply dict."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        json.loads(s.recv(65536))  # the greeting: version, pid, max_output_len
        s.send(command.encode())
        return json.loads(s.recv(1 << 20))


# ---------------------------------------------------------------------------
# Fixture: one uplink of two memif members, reflected (--fwd io) by
# vfailover, with dpdk-testpmd serving both memif sockets.
#   peer port 0 = the VF path (vfailover's vf member)
#   peer port 1 = the backup path (vfailover's backup member)

class MemifReflect:
    """The peer, vfailover and the control socket path of the fixture."""

    def __init__(self, h, extra_args=(), name="vfailover", mac=None, peer_args=(), **vfo_kw):
        """With 'mac', both memif members get it through their devargs (memif
        cannot change a MAC later) and it is the uplink's --mac; without,
        the uplink MAC defaults to the backup's random one.  'peer_args' go
        to the peer's testpmd (e.g. --txonly-multi-flow), 'vfo_kw' to
        Harness.start_vfailover (announce, in_memory)."""
        self.h = h
        mac_arg = f",mac={mac}" if mac else ""
        self.ctl_path = h.path("ctl.sock")
        vf_sock, bk_sock = h.path("vf.sock"), h.path("bk.sock")
        self.peer = h.testpmd("peer", [
            f"net_memif0,role=server,socket={vf_sock},id=0",
            f"net_memif1,role=server,socket={bk_sock},id=0"],
            args=["--port-topology=loop", "--forward-mode=rxonly"] + list(peer_args))
        # The memif sockets are abstract (DPDK's default): no files to go stale.
        # Only port 0 (the VF path) sends with tx_first and is polled.
        self.peer.cmd("set nbport 1")
        self.vfo = h.vfailover(name, [
            "--vf", f"net_memif0,role=client,socket={vf_sock},id=0{mac_arg}",
            "--backup", f"net_memif1,role=client,socket={bk_sock},id=0{mac_arg}",
            "--fwd", "io", "--ctl", self.ctl_path, "--stats-interval", "0"] +
            (["--mac", mac] if mac else []) + list(extra_args),
            ctl_path=self.ctl_path, **vfo_kw)
        wait_until(lambda: members_up(self.ctl_path), 15, "both memif members to come up")

    def round(self, bursts):
        """The peer sends bursts * BURST packets on the VF path and counts
        what comes back; returns (peer forward stats of port 0, vfailover
        stats delta of uplink 0 as {'vf': {...}, 'backup': {...}, 'drops'})."""
        before = member_stats(self.ctl_path)
        want = bursts * BURST
        self.peer.cmd(f"start tx_first {bursts}")

        def vfo_tx():
            return member_stats(self.ctl_path)["members"]["vf"]["tx_pkts"]
        wait_until(lambda: vfo_tx() - before["members"]["vf"]["tx_pkts"] >= want, 20,
                   f"vfailover to send {want} packets back on vf")
        wait_stable(lambda: self.peer.port_stats(0)["rx"], 10, "the peer's RX count")
        fs = self.peer.stop_fwd()[0]
        after = member_stats(self.ctl_path)
        delta = {}
        for m in ("vf", "backup"):
            delta[m] = {k: after["members"][m][k] - before["members"][m][k]
                        for k in ("rx_pkts", "tx_pkts")}
        delta["drops"] = {k: after["drops"][k] - before["drops"][k] for k in after["drops"]}
        log(f"round of {want}: peer {fs}, vfailover {delta}")
        return fs, delta

    def check_round(self, bursts):
        """round() and the exact-count assertions; returns the count."""
        want = bursts * BURST
        fs, d = self.round(bursts)
        check_eq(fs["tx"], want, "peer TX-packets on the VF path")
        check_eq(fs["tx_dropped"], 0, "peer TX-dropped")
        check_eq(fs["rx"], want, "peer RX-packets on the VF path (reflected)")
        check_eq(fs["rx_dropped"], 0, "peer RX-dropped")
        check_eq(d["vf"], {"rx_pkts": want, "tx_pkts": want}, "vfailover vf counters")
        check_eq(d["backup"], {"rx_pkts": 0, "tx_pkts": 0}, "vfailover backup counters")
        check_eq(d["drops"], {k: 0 for k in d["drops"]}, "vfailover drops")
        return want


def main(test_fn, name):
    """Runs test_fn(harness) with a Harness; exits 0 on success, 1 with a
    one-line reason on failure."""
    h = None
    failure = None
    try:
        h = Harness(name)
        test_fn(h)
        h.passed()
    except TestFailure as e:
        failure = f"{name}: FAIL: {e}"
        print(failure, flush=True)
    except Exception:  # noqa: BLE001 - an error of the test itself: its traceback, after the logs
        failure = f"{name}: FAIL (error in the test):\n{traceback.format_exc()}"
        print(failure, flush=True)
    finally:
        if h is not None:
            h.cleanup()
    if failure is not None:
        # Again after the processes' logs the cleanup printed, with the
        # last progress lines: meson keeps only the last 100 lines of a
        # failed test's output.
        print("----- the test's last steps -----\n" + "\n".join(checks.RECENT))
        print(failure, flush=True)
        sys.exit(1)
    sys.exit(0)
