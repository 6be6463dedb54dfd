#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""failover_path: path liveness (--arp-target) and kernel carrier, on
net_af_packet members over veth pairs into a network namespace.

The test creates a namespace with the ends of two veth pairs: the VF path
(its end holds 198.18.5.1, the ARP target) and the backup path (Linux
answers ARP for any of its addresses on either interface).  vfailover's
members are net_af_packet ports on the other ends, which always report link
up, whatever the wire does.  Checks:

- both paths answer: VF active, probes and replies counted per member, the
  ARP replies consumed (not forwarded);
- the VF path stops answering ARP (`ip link set ... arp off` on the far
  end) while its link stays up: TX moves to the backup after --arp-missed
  intervals (timeline: "vf path failed"); answering again moves it back;
- a returning VF (prepare, then attach) whose path does not answer stays
  vf_returning with TX on the backup; its first reply makes it active;
- the far end goes down: the VF's kernel interface loses carrier, which the
  link poll sees although the PMD still says link up: TX to the backup,
  and back when the carrier returns;
- the mbufs in use at the end are those at the start (give or take the
  probes waiting to be sent).

    test_failover_path.py VFAILOVER_BIN SOURCE_DIR
"""
import os
import time

import vfotest
from vfolib.failover import state, timeline, uplink_status, wait_state
from vfolib.netns import HostNet
from vfotest import check, check_eq, log, wait_until

INTERVAL_MS = 20
MISSED = 3
TARGET = "198.18.5.1"


class Namespace:
    """A network namespace with the far ends of two veth pairs (the VF's
    holds TARGET); the near ends are vfailover's members.  Removed by
    close()."""

    def __init__(self, tag):
        # Root-side ends (vfailover's members) and namespace-side ends.
        self.vf, self.vf_far = f"vfl{tag}v", f"vfl{tag}w"
        self.bk, self.bk_far = f"vfl{tag}b", f"vfl{tag}c"
        self.net = HostNet(f"vfl{tag}")
        try:
            self.net.veth_out(self.vf_far, self.vf)
            self.net.veth_out(self.bk_far, self.bk)
            self.ip("addr", "add", f"{TARGET}/24", "dev", self.vf_far)
        except BaseException:
            self.close()
            raise

    def ip(self, *args):
        """Runs 'ip ARGS' inside the namespace."""
        self.net.ip(*args)

    def close(self):
        """Removes the namespace (and with it both veth pairs)."""
        self.net.destroy()


def wait_moved(ctl_path, want, what, t0=None):
    """Waits up to 5 s for (state, active member) == want; returns the
    seconds since t0 (time.monotonic(), default: now)."""
    return wait_state(ctl_path, want, 5, what, interval=0.005, t0=t0)


def details(ctl_path):
    """Returns the details of uplink 0's timeline entries."""
    return [e["detail"] for e in timeline(ctl_path)]


def vf_failures(ctl_path):
    """Returns the VF path's failure count from status."""
    return uplink_status(ctl_path)["failover"]["path"]["vf"]["failures"]


def test(h):
    ns = Namespace(os.getpid() % 100000)
    try:
        run(h, ns)
    finally:
        ns.close()


def run(h, ns):
    ctl_path = h.path("ctl.sock")
    h.vfailover("vfailover", [
        "--vf", f"net_af_packet0,iface={ns.vf}",
        "--backup", f"net_af_packet1,iface={ns.bk}",
        "--arp-target", TARGET, "--ip", "198.18.5.2",
        "--arp-interval-ms", str(INTERVAL_MS), "--arp-missed", str(MISSED),
        "--fwd", "io", "--ctl", ctl_path, "--stats-interval", "0"], ctl_path=ctl_path)
    silent_max = MISSED * INTERVAL_MS / 1000

    # Both paths answer.
    wait_until(lambda: all(uplink_status(ctl_path)["failover"]["path"][m]["replies"] >= 5
                           for m in ("vf", "backup")), 10, "5 ARP replies on each member")
    mbufs0 = vfotest.ctl(ctl_path, "stats")["mbufs_in_use"]
    up = uplink_status(ctl_path)
    path = up["failover"]["path"]
    log(f"path: {path}")
    check_eq((path["target"], path["interval_us"], path["missed"]),
             (TARGET, INTERVAL_MS * 1000, MISSED), "path settings in status")
    for m in ("vf", "backup"):
        check(path[m]["up"] and path[m]["probes"] - path[m]["replies"] <= 2,
              f"{m} path should answer every probe: {path[m]}")
        check_eq((up["members"][m]["kernel_if"], up["members"][m]["carrier"]),
                 (ns.vf if m == "vf" else ns.bk, True), f"{m} kernel interface and carrier")
    check_eq(state(ctl_path), ("vf_active", "vf"), "state with both paths answering")
    # The replies are consumed: io forwarding reflects what it receives, and
    # nothing else arrives (no IPv6 on the veths).
    st = vfotest.member_stats(ctl_path)
    replies = path["vf"]["replies"] + path["backup"]["replies"]
    rx = st["members"]["vf"]["rx_pkts"] + st["members"]["backup"]["rx_pkts"]
    check(rx <= 2, f"{rx} packets forwarded for {replies} ARP replies: not consumed?")

    # The VF's path goes silent, link up: switch after MISSED intervals.
    t_off = time.monotonic()
    ns.ip("link", "set", ns.vf_far, "arp", "off")
    took = wait_moved(ctl_path, ("backup_vf_present", "backup"),
                      "TX to move to the backup when the VF path stops answering", t0=t_off)
    log(f"VF path silent -> TX on backup in {took * 1000:.0f} ms "
        f"({MISSED} x {INTERVAL_MS} ms allowed silence)")
    # The last reply may have come up to one interval before 'arp off'.
    check(took >= silent_max - INTERVAL_MS / 1000 - 0.005,
          f"switched after {took:.3f} s: too early")
    vf = uplink_status(ctl_path)["members"]["vf"]
    check_eq((vf["link_up"], vf["carrier"]), (True, True), "VF link and carrier (still up)")
    check(any("vf path failed" in d for d in details(ctl_path)), "timeline lacks the path failure")
    ns.ip("link", "set", ns.vf_far, "arp", "on")
    wait_moved(ctl_path, ("vf_active", "vf"), "TX back on the VF when its path answers")

    # A returning VF is only made active once its path has answered.
    rep = vfotest.ctl(ctl_path, "prepare")
    check_eq(rep["uplinks"][0]["state"], "backup_vf_gone", "state after prepare")
    failures0 = vf_failures(ctl_path)
    ns.ip("link", "set", ns.vf_far, "arp", "off")
    rep = vfotest.ctl(ctl_path, "attach")
    check_eq(rep["uplinks"][0]["state"], "vf_returning", "state after attach")
    time.sleep(25 * INTERVAL_MS / 1000)
    check_eq(state(ctl_path), ("vf_returning", "backup"),
             "state of a returning VF whose path does not answer")
    vf = uplink_status(ctl_path)["members"]["vf"]
    check(vf["present"] and vf["link_up"], f"returning VF should be up: {vf}")
    ns.ip("link", "set", ns.vf_far, "arp", "on")
    took = wait_moved(ctl_path, ("vf_active", "vf"), "the returning VF to become active")
    log(f"returning VF's path answers -> TX on VF in {took * 1000:.0f} ms")
    # A returning VF whose path has not answered yet has nothing to lose.
    check_eq(vf_failures(ctl_path), failures0, "VF path failures while it was returning")

    # Carrier: the far end goes down; the PMD still says link up.
    ns.ip("link", "set", ns.vf_far, "down")
    took = wait_moved(ctl_path, ("backup_vf_present", "backup"),
                      "TX to move to the backup when the VF loses carrier")
    log(f"VF carrier lost -> TX on backup in {took * 1000:.1f} ms")
    vf = uplink_status(ctl_path)["members"]["vf"]
    check_eq((vf["link_up"], vf["carrier"]), (True, False), "VF PMD link and kernel carrier")
    ns.ip("link", "set", ns.vf_far, "up")
    wait_moved(ctl_path, ("vf_active", "vf"), "TX back on the VF with carrier and path")
    # No leak of probes or replies (hundreds of each went by); a probe per
    # member may be waiting for the queue-0 lcore at either look.
    mbufs = vfotest.ctl(ctl_path, "stats")["mbufs_in_use"]
    check(abs(mbufs - mbufs0) <= 2, f"mbufs in use {mbufs0} -> {mbufs} (leak?)")
    # The silenced path failed at least once (more if the loaded machine
    # stalled the probes past the allowed silence), and each failure is in
    # the timeline.
    failures = vf_failures(ctl_path)
    check(failures >= 1, "the VF path failure is not counted")
    check_eq(sum("vf path failed" in d for d in details(ctl_path)), failures,
             "VF path failures in the timeline vs counted")


if __name__ == "__main__":
    vfotest.main(test, "failover_path")
