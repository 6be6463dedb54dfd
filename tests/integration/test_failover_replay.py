#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""failover_replay: a returning VF gets the uplink's configuration back.

Both members are net_tap ports (the kernel shows what the PMD set on their
interfaces).  vfailover runs with --mtu, --allmulti, --vlan and promiscuous
mode (the default).  Before a planned cycle and after it (prepare removes
the VF, and with it its kernel interface; attach probes it again), the VF's
status shows the MTU and RX modes read back from the port, and the kernel
interface has the same MTU and the PROMISC and ALLMULTI flags.  net_tap has
no VLAN filter: the status must say so (vlan_filter false) while listing
the uplink's VLANs.

    test_failover_replay.py VFAILOVER_BIN SOURCE_DIR
"""
import json
import os
import subprocess

import vfotest
from vfolib.failover import wait_state
from vfotest import check, check_eq, log

MTU = 1400
VLANS = [100, 200]


def kernel_link(iface):
    """Returns (mtu, flags) of kernel interface 'iface'."""
    out = subprocess.run(["ip", "-j", "link", "show", "dev", iface], check=True,
                         capture_output=True, text=True).stdout
    link = json.loads(out)[0]
    return link["mtu"], set(link["flags"])


def check_member(ctl_path, member, iface, what):
    """The member's status and its kernel interface show the replayed settings."""
    m = vfotest.ctl(ctl_path, "status")["uplinks"][0]["members"][member]
    modes = m["rx_modes"]
    log(f"{what}: {member} rx_modes {modes}, kernel {kernel_link(iface)}")
    check_eq((modes["mtu"], modes["promisc"], modes["allmulti"]), (MTU, True, True),
             f"{what}: {member} MTU, promiscuous, all-multicast in status")
    check_eq((modes["vlans"], modes["vlan_filter"]), (VLANS, False),
             f"{what}: {member} VLANs (net_tap cannot filter them)")
    mtu, flags = kernel_link(iface)
    check_eq(mtu, MTU, f"{what}: kernel MTU of {iface}")
    check({"PROMISC", "ALLMULTI"} <= flags, f"{what}: {iface} flags {sorted(flags)}")


def test(h):
    tag = os.getpid() % 100000
    vf_if, bk_if = f"vfr{tag}v", f"vfr{tag}b"
    ctl_path = h.path("ctl.sock")
    h.vfailover("vfailover", [
        "--vf", f"net_tap0,iface={vf_if}", "--backup", f"net_tap1,iface={bk_if}",
        "--mtu", str(MTU), "--allmulti", "--vlan", ",".join(map(str, VLANS)),
        "--fwd", "io", "--ctl", ctl_path, "--stats-interval", "0"], ctl_path=ctl_path)
    check_member(ctl_path, "vf", vf_if, "at start")
    check_member(ctl_path, "backup", bk_if, "at start")
    for cycle in range(2):
        rep = vfotest.ctl(ctl_path, "prepare")
        check_eq(rep["uplinks"][0]["state"], "backup_vf_gone", "state after prepare")
        check(not os.path.exists(f"/sys/class/net/{vf_if}"),
              f"{vf_if} should be gone with the VF")
        vfotest.ctl(ctl_path, "attach")
        wait_state(ctl_path, ("vf_active", "vf"), 10, "the VF to return")
        check_member(ctl_path, "vf", vf_if, f"after return {cycle + 1}")


if __name__ == "__main__":
    vfotest.main(test, "failover_replay")
