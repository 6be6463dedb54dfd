#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""fwd_memif_exact: one uplink (vf + backup, both memif) reflecting (--fwd io).

The peer (dpdk-testpmd, memif servers) sends 16 bursts of 32 packets on the
VF path and counts what returns.  Checks: every packet comes back (peer RX ==
peer TX == 512, nothing dropped on either side), vfailover's vf rx == vf tx
== 512 with the backup idle and no drop; a second round gives the same; a
third sends 256 on each path: all 512 come back on the VF path (vf rx 256,
backup rx 256, vf tx 512, backup tx 0), nothing on the backup path; and
'status' shows the active member "vf", both members present, started, link
up, and the uplink MAC (given to both memif members) on both, mac_set true.

    test_fwd_memif_exact.py VFAILOVER_BIN SOURCE_DIR
"""
import vfotest
from vfotest import check_eq, log, wait_stable, wait_until

BURSTS = 16  # 512 packets: fits the 1024-slot memif rings in one go


def check_status(ctl_path, mac):
    """Checks 'status' of the one uplink; returns the uplink's entry."""
    st = vfotest.ctl(ctl_path, "status")
    check_eq(st["fwd"], "io", "status fwd")
    check_eq(len(st["uplinks"]), 1, "number of uplinks")
    up = st["uplinks"][0]
    check_eq(up["name"], "u0", "uplink name")
    check_eq(up["active"], "vf", "active member")
    check_eq(up["mac"].lower(), mac, "uplink MAC")
    for m in ("vf", "backup"):
        mem = up["members"][m]
        check_eq(mem.get("present"), True, f"{m} present")
        check_eq(mem.get("started"), True, f"{m} started")
        check_eq(mem.get("link_up"), True, f"{m} link_up")
        check_eq(mem.get("driver"), "net_memif", f"{m} driver")
        check_eq(mem.get("mac_set"), True, f"{m} mac_set")
        check_eq(mem["mac"].lower(), mac, f"{m} MAC")
    return up


def check_backup_rx(f, bursts):
    """The peer sends on both paths (VF and backup): what arrives on the
    backup member must also leave through the active vf member."""
    k = bursts * vfotest.BURST
    before = vfotest.member_stats(f.ctl_path)
    f.peer.cmd("set nbport 2")
    f.peer.cmd(f"start tx_first {bursts}")
    wait_until(lambda: vfotest.member_stats(f.ctl_path)["members"]["vf"]["tx_pkts"] -
               before["members"]["vf"]["tx_pkts"] >= 2 * k, 20,
               f"vfailover to send {2 * k} packets on vf")
    wait_stable(lambda: f.peer.port_stats(0)["rx"], 10, "the peer's RX count")
    fs = f.peer.stop_fwd()
    f.peer.cmd("set nbport 1")
    after = vfotest.member_stats(f.ctl_path)
    log(f"both paths, {k} each: peer {fs}")
    check_eq((fs[0]["tx"], fs[1]["tx"]), (k, k), "peer TX-packets on the VF and backup paths")
    check_eq((fs[0]["rx"], fs[1]["rx"]), (2 * k, 0),
             "peer RX-packets on the VF and backup paths (all back on the VF path)")
    want = {"vf": {"rx_pkts": k, "tx_pkts": 2 * k}, "backup": {"rx_pkts": k, "tx_pkts": 0}}
    for m, counts in want.items():
        got = {c: after["members"][m][c] - before["members"][m][c] for c in counts}
        check_eq(got, counts, f"vfailover {m} counters with traffic on both paths")
    check_eq(after["drops"], {c: 0 for c in after["drops"]}, "vfailover drops")


def test(h):
    # memif cannot change a port's MAC (no mac_addr_set), so the members get
    # the uplink MAC through devargs, as a host would give a VF and a virtio
    # NIC the same MAC.  (ctl_protocol_live checks the default-MAC case.)
    mac = "02:00:00:00:00:01"
    f = vfotest.MemifReflect(h, mac=mac)
    check_status(f.ctl_path, mac)
    n1 = f.check_round(BURSTS)
    n2 = f.check_round(BURSTS)
    total = vfotest.member_stats(f.ctl_path)
    check_eq(total["members"]["vf"]["rx_pkts"], n1 + n2, "vf rx_pkts total")
    check_eq(total["members"]["vf"]["tx_pkts"], n1 + n2, "vf tx_pkts total")
    check_eq(total["members"]["vf"]["tx_bytes"], (n1 + n2) * 64, "vf tx_bytes (64 B frames)")
    check_eq(total["members"]["vf"]["rx_bytes"], (n1 + n2) * 64, "vf rx_bytes (64 B frames)")
    check_backup_rx(f, 8)
    check_eq(f.vfo.stop(), 0, "vfailover exit status after SIGTERM")


if __name__ == "__main__":
    vfotest.main(test, "fwd_memif_exact")
