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
import subprocess
import time

import vfotest
from vfotest import check, check_eq, log, wait_until

INTERVAL_MS = 20
MISSED = 3
TARGET = "198.18.5.1"


IPV6_CONF = "/proc/sys/net/ipv6/conf"


def no_ipv6(iface):
    """Turns IPv6 off on 'iface' (nothing to do on a kernel without IPv6)."""
    if os.path.isdir(IPV6_CONF):
        with open(f"{IPV6_CONF}/{iface}/disable_ipv6", "w") as f:
            f.write("1")


def sh(*argv):
    """Runs a command that must succeed."""
    subprocess.run(list(argv), check=True)


class Namespace:
    """A network namespace with two veth pairs; removed by close()."""

    def __init__(self, tag):
        self.ns = f"vfl{tag}"
        # Root-side ends (vfailover's members) and namespace-side ends.
        self.vf, self.vf_far = f"vfl{tag}v", f"vfl{tag}w"
        self.bk, self.bk_far = f"vfl{tag}b", f"vfl{tag}c"
        sh("ip", "netns", "add", self.ns)
        try:
            for near, far in ((self.vf, self.vf_far), (self.bk, self.bk_far)):
                sh("ip", "link", "add", near, "type", "veth", "peer", "name", far,
                   "netns", self.ns)
                # No IPv6: the kernel then sends nothing but ARP replies on them.
                no_ipv6(near)
                sh("ip", "netns", "exec", self.ns, "sh", "-c",
                   f"[ ! -d {IPV6_CONF} ] || echo 1 > {IPV6_CONF}/{far}/disable_ipv6")
                sh("ip", "link", "set", near, "up")
                self.ip("link", "set", far, "up")
            self.ip("link", "set", "lo", "up")
            self.ip("addr", "add", f"{TARGET}/24", "dev", self.vf_far)
        except BaseException:
            self.close()
            raise

    def ip(self, *args):
        """Runs 'ip ARGS' inside the namespace."""
        sh("ip", "-n", self.ns, *args)

    def close(self):
        """Removes the namespace (and with it both veth pairs)."""
        subprocess.run(["ip", "netns", "del", self.ns], stderr=subprocess.DEVNULL)
        for near in (self.vf, self.bk):
            subprocess.run(["ip", "link", "del", near], stderr=subprocess.DEVNULL)


def uplink(ctl_path):
    """Returns the status of uplink 0."""
    return vfotest.ctl(ctl_path, "status")["uplinks"][0]


def state(ctl_path):
    """Returns (failover state, active member) of uplink 0."""
    up = uplink(ctl_path)
    return up["failover"]["state"], up["active"]


def wait_state(ctl_path, want, what, timeout=5, t0=None):
    """Waits for (state, active member) == want; returns the seconds since
    t0 (time.monotonic(), default: now)."""
    t0 = time.monotonic() if t0 is None else t0
    wait_until(lambda: state(ctl_path) == want, timeout, what, interval=0.005)
    return time.monotonic() - t0


def details(ctl_path):
    """Returns the details of uplink 0's timeline entries."""
    return [e["detail"] for e in vfotest.ctl(ctl_path, "timeline")["uplinks"][0]["timeline"]]


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
    wait_until(lambda: all(uplink(ctl_path)["failover"]["path"][m]["replies"] >= 5
                           for m in ("vf", "backup")), 10, "5 ARP replies on each member")
    mbufs0 = vfotest.ctl(ctl_path, "stats")["mbufs_in_use"]
    up = uplink(ctl_path)
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
    took = wait_state(ctl_path, ("backup_vf_present", "backup"),
                      "TX to move to the backup when the VF path stops answering", t0=t_off)
    log(f"VF path silent -> TX on backup in {took * 1000:.0f} ms "
        f"({MISSED} x {INTERVAL_MS} ms allowed silence)")
    # The last reply may have come up to one interval before 'arp off'.
    check(took >= silent_max - INTERVAL_MS / 1000 - 0.005,
          f"switched after {took:.3f} s: too early")
    vf = uplink(ctl_path)["members"]["vf"]
    check_eq((vf["link_up"], vf["carrier"]), (True, True), "VF link and carrier (still up)")
    check(any("vf path failed" in d for d in details(ctl_path)), "timeline lacks the path failure")
    ns.ip("link", "set", ns.vf_far, "arp", "on")
    wait_state(ctl_path, ("vf_active", "vf"), "TX back on the VF when its path answers")

    # A returning VF is only made active once its path has answered.
    rep = vfotest.ctl(ctl_path, "prepare")
    check_eq(rep["uplinks"][0]["state"], "backup_vf_gone", "state after prepare")
    ns.ip("link", "set", ns.vf_far, "arp", "off")
    rep = vfotest.ctl(ctl_path, "attach")
    check_eq(rep["uplinks"][0]["state"], "vf_returning", "state after attach")
    time.sleep(25 * INTERVAL_MS / 1000)
    check_eq(state(ctl_path), ("vf_returning", "backup"),
             "state of a returning VF whose path does not answer")
    vf = uplink(ctl_path)["members"]["vf"]
    check(vf["present"] and vf["link_up"], f"returning VF should be up: {vf}")
    ns.ip("link", "set", ns.vf_far, "arp", "on")
    took = wait_state(ctl_path, ("vf_active", "vf"), "the returning VF to become active")
    log(f"returning VF's path answers -> TX on VF in {took * 1000:.0f} ms")

    # Carrier: the far end goes down; the PMD still says link up.
    ns.ip("link", "set", ns.vf_far, "down")
    took = wait_state(ctl_path, ("backup_vf_present", "backup"),
                      "TX to move to the backup when the VF loses carrier")
    log(f"VF carrier lost -> TX on backup in {took * 1000:.1f} ms")
    vf = uplink(ctl_path)["members"]["vf"]
    check_eq((vf["link_up"], vf["carrier"]), (True, False), "VF PMD link and kernel carrier")
    ns.ip("link", "set", ns.vf_far, "up")
    wait_state(ctl_path, ("vf_active", "vf"), "TX back on the VF with carrier and path")
    # No leak of probes or replies (hundreds of each went by); a probe per
    # member may be waiting for the queue-0 lcore at either look.
    mbufs = vfotest.ctl(ctl_path, "stats")["mbufs_in_use"]
    check(abs(mbufs - mbufs0) <= 2, f"mbufs in use {mbufs0} -> {mbufs} (leak?)")
    # One failure: the returning VF had not answered yet, so it never failed.
    check_eq(uplink(ctl_path)["failover"]["path"]["vf"]["failures"], 1,
             "VF path failures counted")


if __name__ == "__main__":
    vfotest.main(test, "failover_path")
