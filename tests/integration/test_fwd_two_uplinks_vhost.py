#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""fwd_two_uplinks_vhost: two uplinks forwarding to each other over
vhost-user.  The peer (dpdk-testpmd) has four net_vhost ports (vhost-user
servers); vfailover's members are virtio_user ports connected to them:

    peer port 0 = u0's vf path      peer port 1 = u0's backup path
    peer port 2 = u1's vf path      peer port 3 = u1's backup path

testpmd's 'start tx_first N' sends on every forwarding port, so the peer
sends N * 32 packets on u0's vf path (port 0) AND on u1's vf path (port 2);
vfailover forwards u0 -> u1 and u1 -> u0.  Checks, per direction, with exact
counts: peer port 2 receives exactly what port 0 sent and port 0 exactly
what port 2 sent; vfailover's u0 vf rx == u1 vf tx and u1 vf rx == u0 vf
tx == N * 32; backups idle; no drops.  Also: both uplinks active on "vf",
every member present with link up, and every member carries its uplink's
MAC (virtio_user takes a MAC).

    test_fwd_two_uplinks_vhost.py VFAILOVER_BIN SOURCE_DIR
"""
import os

import vfotest
from vfotest import BURST, check_eq, log, wait_until, wait_stable

BURSTS = 8  # 256 packets per direction and round: fits the 256-slot vrings
ROUNDS = 2


def uplink_stats(ctl_path):
    """Returns {uplink name: {member: {rx_pkts, tx_pkts}}, drops} of every uplink."""
    out = {}
    for up in vfotest.ctl(ctl_path, "stats")["uplinks"]:
        out[up["name"]] = {m: {k: up["members"][m][k] for k in ("rx_pkts", "tx_pkts")}
                           for m in ("vf", "backup")}
        out[up["name"]]["drops"] = up["drops"]
    return out


def test(h):
    socks = [h.path(f"vh{i}.sock") for i in range(4)]
    peer = h.testpmd("peer", [f"net_vhost{i},iface={s},queues=1" for i, s in enumerate(socks)],
                     args=["--port-topology=loop", "--forward-mode=rxonly",
                           "--rxd=1024", "--txd=1024"])
    wait_until(lambda: all(os.path.exists(s) for s in socks), 10, "the vhost-user sockets")
    peer.cmd("set portlist 0,2")  # poll and send on the two vf paths only

    ctl_path = h.path("ctl.sock")
    macs = ["02:00:00:00:0a:01", "02:00:00:00:0b:01"]
    args = []
    for u in range(2):
        # The members get the MAC through devargs, like a VM's VF and virtio
        # NIC that the host gave the same MAC (net_vhost offers no
        # VIRTIO_NET_F_MAC, so virtio_user could not take one later).
        for m, port in (("--vf", 2 * u), ("--backup", 2 * u + 1)):
            args += [m, f"virtio_user{port},path={socks[port]},queues=1,queue_size=256,"
                     f"mac={macs[u]}"]
        args += ["--name", f"up{u}", "--mac", macs[u]]
    vfo = h.vfailover("vfailover", args + ["--fwd", "io", "--ctl", ctl_path,
                                           "--stats-interval", "0"], ctl_path=ctl_path,
                      # vhost-user maps at most 8 memory regions: one file per
                      # memseg list instead of one per hugepage.
                      eal_extra=["--single-file-segments"])

    def links_up():
        ups = vfotest.ctl(ctl_path, "status")["uplinks"]
        return all(u["members"][m].get("link_up") for u in ups for m in ("vf", "backup"))
    wait_until(links_up, 15, "every virtio_user member to come up")
    st = vfotest.ctl(ctl_path, "status")
    check_eq([u["name"] for u in st["uplinks"]], ["up0", "up1"], "uplink names")
    for u, up in enumerate(st["uplinks"]):
        check_eq(up["active"], "vf", f"{up['name']} active member")
        check_eq(up["mac"].lower(), macs[u], f"{up['name']} MAC")
        for m in ("vf", "backup"):
            mem = up["members"][m]
            check_eq(mem.get("present"), True, f"{up['name']} {m} present")
            check_eq(mem.get("driver"), "net_virtio_user", f"{up['name']} {m} driver")
            check_eq(mem.get("link_up"), True, f"{up['name']} {m} link_up")
            check_eq(mem.get("mac_set"), True, f"{up['name']} {m} mac_set")
            check_eq(mem["mac"].lower(), macs[u], f"{up['name']} {m} MAC")

    want = BURSTS * BURST
    for r in range(ROUNDS):
        before = uplink_stats(ctl_path)
        peer.cmd(f"start tx_first {BURSTS}")
        wait_until(lambda: all(uplink_stats(ctl_path)[n]["vf"]["tx_pkts"] -
                               before[n]["vf"]["tx_pkts"] >= want for n in ("up0", "up1")),
                   20, f"vfailover to send {want} packets on each uplink")
        wait_stable(lambda: (peer.port_stats(0)["rx"], peer.port_stats(2)["rx"]), 10,
                    "the peer's RX counts")
        fs = peer.stop_fwd()
        after = uplink_stats(ctl_path)
        log(f"round {r}: peer {fs}")
        log(f"round {r}: vfailover {after}")
        for p in (0, 2):
            check_eq(fs[p]["tx"], want, f"peer port {p} TX-packets")
            check_eq(fs[p]["tx_dropped"], 0, f"peer port {p} TX-dropped")
            check_eq(fs[p]["rx"], want, f"peer port {p} RX-packets (from port {2 - p})")
            check_eq(fs[p]["rx_dropped"], 0, f"peer port {p} RX-dropped")
        for n in ("up0", "up1"):
            for m, counts in (("vf", {"rx_pkts": want, "tx_pkts": want}),
                              ("backup", {"rx_pkts": 0, "tx_pkts": 0})):
                delta = {k: after[n][m][k] - before[n][m][k] for k in counts}
                check_eq(delta, counts, f"round {r}: {n} {m} counters")
            check_eq(after[n]["drops"], {k: 0 for k in after[n]["drops"]}, f"{n} drops")
    check_eq(vfo.stop(), 0, "vfailover exit status after SIGTERM")
    out = vfo.stderr()
    for n in ("up0", "up1"):
        line = f"totals: {n} vf     rx {want * ROUNDS} pkts"
        check_eq(line in out, True, f"'{line}' in vfailover's exit summary")


if __name__ == "__main__":
    vfotest.main(test, "fwd_two_uplinks_vhost")
