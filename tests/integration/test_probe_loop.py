#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""probe_loop: vfprobe sends into a loop and counts exactly what comes back.

  - net_ring0 (a ring that loops TX back to RX), one lcore (TX and RX in one
    loop) then two lcores (TX on the worker): --count 200000 at full speed,
    every packet back, nothing lost; the per-port timeline sums to the count;
  - a memif pair in one process (server port 0 sends, client port 1
    receives), paced at 50 kpps for 1 s: about 50000 sent (within 2 %),
    every one received on port 1, latency measured on each;
  - 1500 B frames at 1 % of 10GbE (8.2 kpps): sizes and the rate from
    --rate P% honoured.

    test_probe_loop.py VFPROBE SOURCE_DIR VFPROBE_OFFLINE VFP_DUT
"""
import vfotest
import vfptest
from vfotest import check, check_eq

COUNT = 200000


def timeline_sum(rep, port):
    """Returns the packets in the report's timeline of 'port'."""
    return sum(rep["timeline"]["rx_pkts"][port])


def test(h):
    p = vfptest.Probe(h)
    big = ["--gap-us", "1000000"]  # scheduling hiccups on a shared machine are no gap here
    for lcores in ("0", "0,1"):
        rep = p.run(f"ring_l{lcores.replace(',', '')}", lcores, ["net_ring0"],
                    ["--count", str(COUNT)] + big)
        vfptest.check_exact(rep, COUNT, f"net_ring, lcores {lcores}")
        check_eq(timeline_sum(rep, 0), COUNT, "timeline total")
        check_eq(rep["latency"]["count"], COUNT, "packets with a latency")

    sock = h.path("m.sock")
    rep = p.run("memif", "0", [f"net_memif0,role=server,socket={sock},id=0",
                               f"net_memif1,role=client,socket={sock},id=0"],
                ["--tx", "0", "--rx", "1", "--rate", "50k", "--duration", "1"] + big)
    sent = rep["tx"]["sent"]
    check(abs(sent - 50000) <= 1000, f"memif at 50 kpps for 1 s sent {sent}, want 50000 +- 2 %")
    vfptest.check_exact(rep, sent, "memif pair")
    check_eq(rep["ports"][1]["rx_frames"], sent, "frames received on port 1")
    check_eq(rep["ports"][0]["rx_frames"], 0, "frames received on port 0 (it only sends)")
    check_eq(timeline_sum(rep, 1), sent, "port 1 timeline total")

    rep = p.run("ring_1500", "0", ["net_ring0"],
                ["--size", "1500", "--rate", "1%", "--duration", "0.5"] + big)
    want = 10e9 / ((1500 + 20) * 8) * 0.01 * 0.5
    sent = rep["tx"]["sent"]
    check(abs(sent - want) <= want * 0.02, f"1 % of 10GbE at 1500 B for 0.5 s: sent {sent}, "
          f"want {want:.0f} +- 2 %")
    vfptest.check_exact(rep, sent, "1500 B frames")
    check_eq(rep["tx"]["size"], 1500, "tx size")


if __name__ == "__main__":
    vfotest.main(test, "probe_loop")
