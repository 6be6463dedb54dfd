#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""capture: DPDK's own tools on a running vfailover, and the announcements
of a switch as they go out on the wire.

vfailover runs with a --file-prefix and without --in-memory (multi-process
on), one uplink of two memif members served by a dpdk-testpmd peer (the
memif reflect fixture), with --ip and --ip6 and the announcements on.

1. dpdk-dumpcap -i '*' (a secondary process) captures both members into one
   pcapng while the peer sends a round on the VF path, 'prefer backup'
   switches, a round goes over the backup, 'prefer vf' switches back and a
   round goes over the VF.  tshark decodes the file; in capture order it
   must hold exactly: the first round on the VF interface (every packet in
   and out, none on the backup), then on the backup the RARP, the
   gratuitous ARP (sender = target = the --ip address) and the unsolicited
   Neighbor Advertisement (to ff02::1 / 33:33:00:00:00:01, hop limit 255,
   override set, solicited and router clear, target = the --ip6 address,
   Target Link-Layer Address = the uplink MAC, ICMPv6 checksum good), all
   from the uplink MAC; then the second round on the backup only; then the
   same three frames on the VF and the third round on the VF only.
   dumpcap reports no packet dropped.
2. dpdk-proc-info reads the members' port counters from vfailover; they
   equal the peer's counters the other way round, packet for packet.
3. After 'prepare' (the VF is released) and 'attach' (it is probed again:
   a hot-plugged port), a new dpdk-dumpcap -i net_memif0 captures a round on
   the returned VF and dpdk-proc-info reads its fresh counters.

    test_capture.py VFAILOVER_BIN SOURCE_DIR
"""
import os
import re
import shutil
import signal
import subprocess

import vfotest
from vfotest import check, check_eq, log, wait_stable, wait_until

DUMPCAP = shutil.which("dpdk-dumpcap") or "/usr/bin/dpdk-dumpcap"
PROC_INFO = shutil.which("dpdk-proc-info") or "/usr/bin/dpdk-proc-info"
TSHARK = shutil.which("tshark")
IP4 = "10.9.0.1"
IP6 = "fd00:9::1"
BURSTS = 4  # 128 packets a round
WANT = BURSTS * vfotest.BURST
# Fields tshark prints per frame, in this order.
FIELDS = ["frame.interface_name", "frame.time_epoch", "frame.packet_flags_direction",
          "eth.src", "eth.dst", "eth.type", "arp.opcode", "arp.src.proto_ipv4",
          "arp.dst.proto_ipv4", "ipv6.dst", "ipv6.hlim", "icmpv6.type",
          "icmpv6.nd.na.flag.r", "icmpv6.nd.na.flag.s", "icmpv6.nd.na.flag.o",
          "icmpv6.nd.na.target_address", "icmpv6.opt.linkaddr", "icmpv6.checksum.status"]


def round_trip(f, port, member):
    """The peer sends WANT packets on 'port' (0: VF path, 1: backup path);
    vfailover's 'member' must send every one back there."""
    before = vfotest.member_stats(f.ctl_path)["members"][member]["tx_pkts"]
    rx0 = f.peer.port_stats(port)["rx"]
    f.peer.cmd(f"set portlist {port}")
    f.peer.cmd(f"start tx_first {BURSTS}")
    wait_until(lambda: vfotest.member_stats(f.ctl_path)["members"][member]["tx_pkts"] - before
               >= WANT, 20, f"vfailover to send {WANT} packets back on {member}")
    wait_until(lambda: f.peer.port_stats(port)["rx"] - rx0 >= WANT, 10, "the peer's RX count")
    fs = f.peer.stop_fwd()[port]
    check_eq((fs["tx"], fs["rx"], fs["tx_dropped"]), (WANT, WANT, 0),
             f"peer TX / RX / TX-dropped on port {port}")


class Dumpcap:
    """A dpdk-dumpcap attached to vfailover (DPDK prefix 'prefix'), writing
    'path'; started by start(), stopped (SIGINT) by stop()."""

    def __init__(self, h, name, prefix, iface, path):
        self.path = path
        self.name = name
        self.p = h.spawn(name, [DUMPCAP, "--file-prefix", prefix, "-i", iface, "-w", path])
        # dumpcap writes "Packets captured:" once its capture is enabled.
        wait_until(lambda: "Packets captured:" in self.p.stderr() or not self.p.running(),
                   30, f"{name} to start capturing")
        check(self.p.running(), f"{name} exited: {self.p.stderr()} {self.p.stdout()}")

    def stop(self, ifaces):
        """Waits until the file stops growing (the capture ring drained), stops
        dumpcap and checks that it dropped nothing on each of 'ifaces'."""
        wait_stable(lambda: os.path.getsize(self.path), 10, f"{self.name}'s file size",
                    settle=0.6)
        check_eq(self.p.stop(signal.SIGINT, timeout=10), 0, f"{self.name} exit status")
        err = self.p.stderr()
        for i in ifaces:
            m = re.search(rf"Packets received/dropped on interface '{i}': (\d+)/(\d+)", err)
            check(m, f"{self.name} reports no counts for {i}:\n{err}")
            check_eq(int(m.group(2)), 0, f"packets {self.name} dropped on {i}")


def decode(path):
    """Returns the frames of pcapng 'path' as decoded by tshark: one dict of
    FIELDS per frame, in capture order."""
    r = subprocess.run([TSHARK, "-r", path, "-T", "fields", "-E", "separator=|",
                        "-E", "occurrence=f"] + [a for fl in FIELDS for a in ("-e", fl)],
                       capture_output=True, text=True, timeout=60)
    check_eq(r.returncode, 0, f"tshark exit status (stderr {r.stderr[-500:]!r})")
    frames = [dict(zip(FIELDS, line.split("|"))) for line in r.stdout.splitlines()]
    for fr in frames:  # pcapng direction: 1 inbound, 2 outbound (tshark prints 0x00000002)
        fr["dir"] = int(fr["frame.packet_flags_direction"] or "0", 16)
    return frames


def kind(fr):
    """Names what frame 'fr' is: rarp, garp, na, or data (the peer's)."""
    if fr["eth.type"] == "0x8035":
        return "rarp"
    if fr["arp.opcode"] == "1" and fr["arp.src.proto_ipv4"] == fr["arp.dst.proto_ipv4"]:
        return "garp"
    if fr["icmpv6.type"] == "136":
        return "na"
    return "data"


def check_announcement(frames, iface, mac):
    """Checks that 'frames' are the RARP, gratuitous ARP and NA of a switch
    sent on 'iface' from 'mac'."""
    check_eq([(fr["frame.interface_name"], kind(fr)) for fr in frames],
             [(iface, "rarp"), (iface, "garp"), (iface, "na")], "announcement frames")
    for fr in frames:
        check_eq((fr["eth.src"], fr["dir"]), (mac, 2),
                 f"{kind(fr)}: source MAC and direction (2: outbound)")
    garp, na = frames[1], frames[2]
    check_eq((garp["eth.dst"], garp["arp.src.proto_ipv4"]), ("ff:ff:ff:ff:ff:ff", IP4),
             "gratuitous ARP: destination, address")
    check_eq({k: na[k] for k in ("eth.dst", "ipv6.dst", "ipv6.hlim", "icmpv6.nd.na.flag.r",
                                 "icmpv6.nd.na.flag.s", "icmpv6.nd.na.flag.o",
                                 "icmpv6.nd.na.target_address", "icmpv6.opt.linkaddr",
                                 "icmpv6.checksum.status")},
             {"eth.dst": "33:33:00:00:00:01", "ipv6.dst": "ff02::1", "ipv6.hlim": "255",
              "icmpv6.nd.na.flag.r": "0", "icmpv6.nd.na.flag.s": "0",
              "icmpv6.nd.na.flag.o": "1", "icmpv6.nd.na.target_address": IP6,
              "icmpv6.opt.linkaddr": mac, "icmpv6.checksum.status": "1"},
             "Neighbor Advertisement as tshark decodes it")


def check_round(frames, iface, what):
    """Checks that 'frames' are one round on 'iface' only: WANT packets in
    (direction 1) and WANT out (2)."""
    where = {fr["frame.interface_name"] for fr in frames}
    check_eq(where, {iface}, f"{what}: interfaces its frames were captured on")
    dirs = [fr["dir"] for fr in frames]
    check_eq((dirs.count(1), dirs.count(2), len(dirs)), (WANT, WANT, 2 * WANT),
             f"{what}: frames in, out, all")


def proc_info(h, prefix):
    """Returns {port: (RX-packets, TX-packets)} as dpdk-proc-info reads them
    from the primary process of DPDK prefix 'prefix'."""
    p = h.run("proc_info", [PROC_INFO, "--file-prefix", prefix, "--log-level",
                            "lib.eal:error", "--", "--stats"], timeout=30)
    check_eq(p.popen.returncode, 0, f"dpdk-proc-info exit status ({p.stderr()[-500:]})")
    out = p.stdout()
    ports = {}
    for m in re.finditer(r"NIC statistics for port (\d+)\s+#+\s+RX-packets:\s+(\d+).*?"
                         r"TX-packets:\s+(\d+)", out, re.S):
        ports[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
    check(ports, f"no port statistics in dpdk-proc-info's output:\n{out}")
    return ports


def test(h):
    for tool in (DUMPCAP, PROC_INFO, TSHARK):
        check(tool and os.access(tool, os.X_OK), f"{tool} not found; run scripts/setup")
    f = vfotest.MemifReflect(h, extra_args=["--ip", IP4, "--ip6", IP6], announce=True,
                             in_memory=False)
    prefix = f.vfo.prefix
    st = vfotest.ctl(f.ctl_path, "status")["uplinks"][0]
    mac = st["mac"].lower()
    vf_port, bk_port = st["members"]["vf"]["port"], st["members"]["backup"]["port"]
    vf_if, bk_if = f"dpdk:{vf_port}", f"dpdk:{bk_port}"

    # 1. One capture of both members across two switches.
    pcap = h.path("switch.pcapng")
    cap = Dumpcap(h, "dumpcap", prefix, "*", pcap)
    round_trip(f, 0, "vf")
    vfotest.ctl(f.ctl_path, "prefer", member="backup")
    round_trip(f, 1, "backup")
    vfotest.ctl(f.ctl_path, "prefer", member="vf")
    round_trip(f, 0, "vf")
    cap.stop(["net_memif0", "net_memif1"])
    frames = decode(pcap)
    log(f"{len(frames)} frames captured")
    ann = [i for i, fr in enumerate(frames) if kind(fr) != "data"]
    check_eq(len(ann), 6, f"announcement frames captured (at {ann})")
    check(ann == list(range(ann[0], ann[0] + 3)) + list(range(ann[3], ann[3] + 3)),
          f"the announcements come in two groups of three: {ann}")
    check_round(frames[:ann[0]], vf_if, "round before the switch")
    check_announcement(frames[ann[0]:ann[0] + 3], bk_if, mac)
    check_round(frames[ann[0] + 3:ann[3]], bk_if, "round on the backup")
    check_announcement(frames[ann[3]:ann[3] + 3], vf_if, mac)
    check_round(frames[ann[3] + 3:], vf_if, "round after the switch back")
    t = [float(fr["frame.time_epoch"]) for fr in frames]
    check(t == sorted(t), "capture timestamps never go back")

    # 2. dpdk-proc-info: vfailover's PMD counters against the peer's.
    ports = proc_info(h, prefix)
    log(f"dpdk-proc-info RX/TX by port: {ports}")
    for port, peer_port in ((vf_port, 0), (bk_port, 1)):
        ps = f.peer.port_stats(peer_port)
        check_eq(ports.get(port), (ps["tx"], ps["rx"]),
                 f"proc-info RX/TX of vfailover's port {port} vs the peer's TX/RX on "
                 f"its port {peer_port}")

    # 3. The VF released and probed again: a new capture and fresh counters.
    vfotest.ctl(f.ctl_path, "prepare")
    vfotest.ctl(f.ctl_path, "attach")
    wait_until(lambda: vfotest.ctl(f.ctl_path, "status")["uplinks"][0]["failover"]["state"]
               == "vf_active", 15, "the VF to come back")
    vf_port = vfotest.ctl(f.ctl_path, "status")["uplinks"][0]["members"]["vf"]["port"]
    pcap = h.path("returned.pcapng")
    cap = Dumpcap(h, "dumpcap_returned", prefix, "net_memif0", pcap)
    round_trip(f, 0, "vf")
    cap.stop(["net_memif0"])
    check_round([fr for fr in decode(pcap) if kind(fr) == "data"], f"dpdk:{vf_port}",
                "round on the returned VF")
    rx, tx = proc_info(h, prefix).get(vf_port, (None, None))
    check_eq(rx, WANT, f"proc-info RX-packets of the returned VF (port {vf_port})")
    check(tx is not None and tx >= WANT, f"proc-info TX-packets of the returned VF: {tx}")
    check_eq(f.vfo.stop(signal.SIGTERM), 0, "vfailover exit status")


if __name__ == "__main__":
    vfotest.main(test, "capture")
