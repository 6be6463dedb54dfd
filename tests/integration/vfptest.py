# SPDX-License-Identifier: BSD-3-Clause
"""vfptest — helpers of vfprobe's integration tests, on top of vfotest and vfolib.

A probe test is run as

    SCRIPT VFPROBE_BIN SOURCE_DIR VFPROBE_OFFLINE_BIN VFP_DUT_BIN

and does:

    h = vfotest.Harness("probe_x")          # argv[1] (the vfprobe binary) is checked
    p = vfptest.Probe(h)
    rep = p.run("loop", "0", ["net_ring0"], ["--count", "1000"])   # the JSON report
    dut, port = p.dut("dut", ["--drop-every", "7"])     # port: vfprobe's devargs for it

Every process goes through the Harness, so it is killed and its files
removed however the test ends.
"""
import os
import sys

from vfolib.checks import check, check_eq, log, wait_until
from vfolib.probe import read_report, vfprobe_argv


class Probe:
    """Runs vfprobe, vfprobe-offline and the vfp_dut test app of a Harness."""

    def __init__(self, h):
        self.h = h
        self.bin = h.vfailover_bin
        check(len(sys.argv) > 4, "usage: SCRIPT VFPROBE SOURCE_DIR VFPROBE_OFFLINE VFP_DUT")
        self.offline_bin = os.path.abspath(sys.argv[3])
        self.dut_bin = os.path.abspath(sys.argv[4])
        self.runs = 0

    def argv(self, lcores, ports, args):
        """Returns vfprobe's command line (EAL with --single-file-segments:
        a virtio_user port shares all memory with its vhost-user peer)."""
        return vfprobe_argv(self.bin, self.h.eal(lcores, single_file=True), ports, args)

    def start(self, name, lcores, ports, args):
        """Starts vfprobe (does not wait); returns the Proc and its JSON report path."""
        path = self.h.path(f"{name}.json")
        return self.h.spawn(name, self.argv(lcores, ports, list(args) + ["--json", path])), path

    def finish(self, p, path, timeout=60.0):
        """Waits for vfprobe 'p' to exit 0; returns its JSON report (dict)."""
        rc = p.wait(timeout)
        check_eq(rc, 0, f"{p.name} exit status (stderr: {p.stderr()[-800:]})")
        rep = read_report(path)
        t = rep["totals"]
        log(f"{p.name}: sent {rep['tx']['sent']} at {rep['tx']['achieved_pps']:.0f} pps, "
            f"received {t['received']} lost {t['lost']} gaps {t['gaps']}")
        return rep

    def run(self, name, lcores, ports, args, timeout=60.0):
        """Runs vfprobe to completion; returns its JSON report (dict)."""
        p, path = self.start(name, lcores, ports, args)
        return self.finish(p, path, timeout)

    def offline(self, name, pcap, args=()):
        """Runs vfprobe-offline on 'pcap'; returns its JSON report (dict)."""
        path = self.h.path(f"{name}.json")
        p = self.h.run(name, [self.offline_bin, pcap, "--json", path] + list(args))
        check_eq(p.popen.returncode, 0, f"{name} exit status (stderr: {p.stderr()[-800:]})")
        return read_report(path)

    def dut(self, name, args=(), lcores="1"):
        """Starts vfp_dut with one vhost-user port (server) and waits until it
        forwards; returns the Proc and the devargs of vfprobe's virtio_user
        port to it.  (vhost-user, not memif: a memif peer that goes away can
        crash DPDK 22.11's memif RX, and memif reconnects are unreliable.)"""
        sock = self.h.path(f"{name}.sock")
        p = self.h.spawn(name, [self.dut_bin] + self.h.eal(
            lcores, [f"net_vhost0,iface={sock},queues=1"]) + ["--"] + list(args))

        def ready():
            check(p.running(), f"{name} exited with {p.popen.returncode}: {p.stderr()}")
            return "vfp_dut: forwarding" in p.stdout()
        wait_until(ready, 30, f"{name} to forward")
        return p, f"virtio_user0,path={sock},queues=1,queue_size=1024"

    def dut_stop(self, p):
        """Stops vfp_dut 'p'; returns its counters {'rx','drop_k','drop_rate','tx'}."""
        check_eq(p.stop(), 0, f"{p.name} exit status")
        words = p.stdout().split("vfp_dut: rx ")[-1].split()
        return {"rx": int(words[0]), "drop_k": int(words[2]), "drop_rate": int(words[4]),
                "tx": int(words[6])}


def check_exact(rep, sent, what):
    """Checks a report of a lossless run: sent == received == 'sent', nothing
    lost, duplicated, reordered or foreign, no sequence gap."""
    t = rep["totals"]
    check_eq(rep["tx"]["sent"], sent, f"{what}: packets sent")
    check_eq(t["received"], sent, f"{what}: packets received")
    check_eq((t["lost"], t["duplicates"], t["reordered"], t["late"]), (0, 0, 0, 0),
             f"{what}: lost, duplicates, reordered, late")
    check_eq(rep["foreign"]["total"], 0, f"{what}: foreign frames")
    seq_gaps = [g for g in rep["gaps"] if "seq" in g["kind"]]
    check_eq(seq_gaps, [], f"{what}: sequence gaps")
