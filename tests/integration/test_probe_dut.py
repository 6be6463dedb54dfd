#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""probe_dut: vfprobe through a device under test that drops every K-th packet.

vfp_dut (vhost-user) reflects what vfprobe (virtio_user) sends and drops
packets K, 2K, 3K... it receives (K = 7), retrying its own transmissions, so
the only loss is the deliberate one.  vfprobe sends N = 100000 (N mod K != 0:
the last packet is not dropped).  Checks:
  - the report: lost == N // K == the DUT's drop count, received == N - lost,
    one single-packet sequence gap per drop, seq K-1, 2K-1, ... missing;
  - offline mode on the pcap vfprobe wrote of what it received (--pcap)
    gives the same received / lost / gaps;
  - the gap pcap (--pcap-gaps, 2 frames around each gap) holds the frames
    around the gaps: 2 + 1 + 2 per gap at most, at least one per gap.

    test_probe_dut.py VFPROBE SOURCE_DIR VFPROBE_OFFLINE VFP_DUT
"""
import struct

import vfotest
import vfptest
from vfotest import check, check_eq

N = 100000
K = 7
# Silence threshold: far above any stall of a loaded machine or a TSan build
# (latency reached 1.5 s there), so that every gap is a sequence gap.
GAP_US = "10000000"


def pcap_frames(path):
    """Returns the number of frames in the pcap file 'path'."""
    n = 0
    with open(path, "rb") as f:
        f.read(24)
        while True:
            hdr = f.read(16)
            if len(hdr) < 16:
                return n
            caplen = struct.unpack("<IIII", hdr)[2]
            f.seek(caplen, 1)
            n += 1


def test(h):
    p = vfptest.Probe(h)
    dut, port = p.dut("dut", ["--drop-every", str(K)])
    pcap, gpcap = h.path("rx.pcap"), h.path("gaps.pcap")
    rep = p.run("probe", "0", [port],
                ["--count", str(N), "--linger-ms", "1000", "--gap-us", GAP_US,
                 "--pcap", pcap, "--pcap-gaps", gpcap, "--gap-frames", "2"])
    d = p.dut_stop(dut)
    t = rep["totals"]
    vfotest.log(f"dut {d}")
    check_eq(d["drop_k"], N // K, "DUT drops")
    check_eq(rep["tx"]["sent"], N, "sent")
    check_eq(t["lost"], N // K, "reported loss")
    check_eq(t["received"], N - N // K, "received")
    check_eq((t["duplicates"], t["reordered"], t["late"]), (0, 0, 0), "dup, reordered, late")
    gaps = rep["gaps"]
    check_eq(len(gaps), N // K, "number of gaps")
    check_eq([(g["first_seq"], g["missing"]) for g in gaps[:3]],
             [(K - 1, 1), (2 * K - 1, 1), (3 * K - 1, 1)], "first gaps")
    check(all(g["last_seq"] == g["first_seq"] and g["kind"] == "seq" for g in gaps),
          "every gap is one missing number")

    off = p.offline("offline", pcap, ["--gap-us", GAP_US])
    for k in ("received", "lost", "gaps", "duplicates", "reordered"):
        check_eq(off["totals"][k], t[k], f"offline {k} vs live")
    check_eq([g["first_seq"] for g in off["gaps"]], [g["first_seq"] for g in gaps],
             "offline gap list vs live")

    n = pcap_frames(gpcap)
    check(N // K <= n <= 5 * (N // K), f"gap pcap: {n} frames for {N // K} gaps")


if __name__ == "__main__":
    vfotest.main(test, "probe_dut")
