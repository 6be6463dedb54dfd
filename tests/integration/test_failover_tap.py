#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""failover_tap: unplanned switches on link loss, CYCLES times.

The VF stand-in is a net_tap port (its link follows the kernel interface's
state: `ip link set IFACE down` takes it away like a VF losing its link);
the backup is a memif client of a testpmd peer that plays the host on the
backup path.  Each cycle: the VF interface goes down -> the engine moves TX
to the backup by itself (link polling); a traffic round on the backup path
comes back exactly; the interface comes up -> TX goes back to the VF.
Checks: every round exact (0 lost), every down/up is one pair of switches
in the timeline with the event that caused it (re-probing a VF that stays
down is off: --reprobe-down-ms 0), vfailover counts 0 packets
lost in the VF's rings, and the mbufs in use at the end equal the start.
The kernel sends nothing of its own on the interface (IPv6 off on it):
its router solicitations and MLD reports at each link-up, forwarded back
by vfailover, put an mbuf in flight at a sample now and then (one clean
clone read 1023 against a start of 1024).

    test_failover_tap.py VFAILOVER_BIN SOURCE_DIR
"""
import os
import subprocess

import vfotest
from vfolib.failover import members_up, moves, wait_state
from vfolib.netns import no_ipv6
from vfotest import check, check_eq, log, wait_stable, wait_until

CYCLES = 10
BURSTS = 8  # 256 packets a round


def ip_link(iface, updown):
    """Sets the kernel interface 'iface' up or down."""
    subprocess.run(["ip", "link", "set", iface, updown], check=True)


def backup_round(peer, ctl_path):
    """The peer sends BURSTS bursts on the backup path; all must come back
    there, through vfailover's backup member."""
    want = BURSTS * vfotest.BURST
    before = vfotest.member_stats(ctl_path)
    peer.cmd(f"start tx_first {BURSTS}")
    wait_until(lambda: vfotest.member_stats(ctl_path)["members"]["backup"]["tx_pkts"] -
               before["members"]["backup"]["tx_pkts"] >= want, 20,
               f"vfailover to send {want} packets back on the backup")
    wait_stable(lambda: peer.port_stats(0)["rx"], 10, "the peer's RX count")
    fs = peer.stop_fwd()[0]
    after = vfotest.member_stats(ctl_path)
    check_eq((fs["tx"], fs["rx"], fs["tx_dropped"]), (want, want, 0),
             "peer TX / RX / TX-dropped on the backup path")
    check_eq(after["members"]["backup"]["rx_pkts"] - before["members"]["backup"]["rx_pkts"],
             want, "vfailover backup rx_pkts")
    check_eq({k: after["drops"][k] - before["drops"][k] for k in after["drops"]},
             {k: 0 for k in after["drops"]}, "vfailover drops")


def mbufs_in_use(ctl_path):
    """The mbufs in use once that count has settled."""
    return wait_stable(lambda: vfotest.ctl(ctl_path, "stats")["mbufs_in_use"], 10,
                       "the mbufs in use")


def test(h):
    iface = f"vfot{os.getpid() % 100000}"
    ctl_path = h.path("ctl.sock")
    bk_sock = h.path("bk.sock")
    peer = h.testpmd("peer", [f"net_memif0,role=server,socket={bk_sock},id=0"],
                     args=["--port-topology=loop", "--forward-mode=rxonly"])
    vfo = h.vfailover("vfailover", [
        "--vf", f"net_tap0,iface={iface}",
        "--backup", f"net_memif0,role=client,socket={bk_sock},id=0",
        "--fwd", "io", "--ctl", ctl_path, "--stats-interval", "0",
        # No re-probe of the downed VF: net_tap re-creates its interface up,
        # which a VF without link would not do (on a loaded machine a round
        # on the backup can outlast the default 1 s).
        "--reprobe-down-ms", "0"], ctl_path=ctl_path)
    no_ipv6(iface)  # the kernel sends nothing of its own on it
    # Both members up before the first cycle: a backup memif whose peer
    # connects late (a loaded machine) would make the first link loss a
    # switch to no member.
    wait_until(lambda: members_up(ctl_path), 10, "both members' links to come up")
    start = mbufs_in_use(ctl_path)
    for i in range(CYCLES):
        ip_link(iface, "down")
        wait_state(ctl_path, ("backup_vf_present", "backup"), 10,
                   "TX to move to the backup on link loss")
        backup_round(peer, ctl_path)
        ip_link(iface, "up")
        wait_state(ctl_path, ("vf_active", "vf"), 10,
                   "TX to move back to the VF when its link returns")
        log(f"cycle {i + 1}/{CYCLES}: down -> backup -> exact round -> up -> vf")
    up = vfotest.ctl(ctl_path, "timeline")["uplinks"][0]
    moved = [(m[0], m[1]) for m in moves(up["timeline"])]
    check_eq(moved.count(("vf_active", "backup_vf_present")), CYCLES, "switches to the backup")
    back = moved.count(("backup_vf_present", "vf_active"))
    check(back == CYCLES, f"switches back to the VF: got {back}, want {CYCLES}; timeline {moved}")
    check_eq(up["lost_unplanned"], 0, "packets lost in the VF's rings")
    check(up["switches"] >= 2 * CYCLES, f"switch count {up['switches']}")
    check_eq(mbufs_in_use(ctl_path), start, "mbufs in use (leak check)")
    check_eq(vfo.stop(), 0, "vfailover exit status after SIGTERM")


if __name__ == "__main__":
    vfotest.main(test, "failover_tap")
