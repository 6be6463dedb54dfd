#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""probe_switch: the control socket and SIGUSR1 move the sending port.

Two net_ring loops (ports 0 and 1), --tx 0,1, 100 kpps for up to 10 s.
While it runs: "stats" shows it sending on port 0; {"cmd":"switch",
"port":1} moves sending to port 1 (the reply gives the first sequence
number sent there); "mark" puts a text event in the timeline; switching
to a port not in --tx is refused; SIGUSR1
moves it back to port 0; "stop" ends the run early.  The report: no loss,
the per-port sent counts add up and match what each loop received, the
events list both switches with their sequence numbers and the mark, the
timeline adds up per port, has no port 1 traffic before the first switch
and no port 0 traffic while port 1 sent, "stopped" is true.

    test_probe_switch.py VFPROBE SOURCE_DIR VFPROBE_OFFLINE VFP_DUT
"""
import os
import re
import signal

import vfotest
import vfptest
from vfotest import check, check_eq, ctl, wait_until


def test(h):
    p = vfptest.Probe(h)
    sock = h.path("ctl.sock")
    proc, path = p.start("probe", "0", ["net_ring0", "net_ring1"],
                         ["--tx", "0,1", "--rate", "100k", "--duration", "10", "--ctl", sock,
                          "--gap-us", "1000000"])

    def stats():
        check(proc.running(), f"vfprobe exited early: {proc.stderr()}")
        try:
            return ctl(sock, "stats")
        except OSError:
            return None
    st = wait_until(lambda: (s := stats()) and s["tx"]["sent"] > 20000 and s, 20,
                    "vfprobe to send 20000 packets")
    check_eq((st["running"], st["sending"], st["tx"]["port"]), (True, True, 0),
             "stats: running, sending, port")
    r = ctl(sock, "switch", port=1)
    check_eq((r["port"], r["previous"]), (1, 0), "switch reply")
    seq1 = r["seq"]
    check(seq1 >= 20000, f"switch seq {seq1}")
    mark = ctl(sock, "mark", text="host on path 1")
    c = vfotest.Ctl(sock)
    bad = c.request({"cmd": "switch", "port": 2})
    c.close()
    check(bad["ok"] is False and "not a --tx port" in bad["error"], f"switch to port 2: {bad}")
    wait_until(lambda: stats()["tx"]["sent"] > seq1 + 20000, 20, "20000 packets on port 1")
    check_eq(stats()["tx"]["port"], 1, "stats port after switch")
    os.kill(proc.pid, signal.SIGUSR1)
    wait_until(lambda: stats()["tx"]["port"] == 0, 5, "SIGUSR1 to move sending to port 0")
    sent2 = stats()["tx"]["sent"]
    wait_until(lambda: stats()["tx"]["sent"] > sent2 + 20000, 20, "20000 more on port 0")
    live = stats()["rx"]
    check(all(n > 0 for n in live["probe_ports"]) and len(live["probe_ports"]) == 2,
          f"live probe packets per port: {live}")
    ctl(sock, "stop")
    rep = p.finish(proc, path, timeout=20)
    check(not os.path.exists(sock), "control socket removed at exit")

    sent = rep["tx"]["sent"]
    check(sent < 900000, f"stop ended the 10 s run early: {sent} sent")
    check_eq(rep["stopped"], True, "report stopped")
    vfptest.check_exact(rep, sent, "two rings with switches")
    ps = rep["tx"]["port_sent"]
    check_eq(ps[0] + ps[1], sent, "per-port sent adds up")
    check_eq([rep["ports"][i]["rx_frames"] for i in (0, 1)], ps, "each loop returns its port's")
    mk = [e for e in rep["events"] if e["text"] == "mark: host on path 1"]
    check_eq(len(mk), 1, f"the mark in {rep['events']}")
    check(abs(mk[0]["t_us"] - mark["t_us"]) <= 1, f"mark time {mk[0]} vs reply {mark}")
    sw = [e for e in rep["events"] if e["text"].startswith("switch")]
    check_eq(len(sw), 2, f"switch events in {rep['events']}")
    check_eq(sw[0]["text"], f"switch tx port 0 -> 1 at seq {seq1}", "first switch event")
    m = re.fullmatch(r"switch tx port 1 -> 0 at seq (\d+)", sw[1]["text"])
    check(m is not None, f"second switch event: {sw[1]}")
    check_eq(ps[1], int(m.group(1)) - seq1, "port 1 sent between the switches")
    # Timeline: each port's bins add up to what it sent; port 1 received
    # nothing before the first switch (causality: exact); port 0 nothing
    # while port 1 sent, 20 ms after the switch (what was in flight) to the
    # switch back (this window may be empty if the machine froze vfprobe).
    rx = rep["timeline"]["rx_pkts"]
    check_eq([sum(rx[0]), sum(rx[1])], ps, "timeline totals per port")
    a, b = sw[0]["t_us"] // 1000, sw[1]["t_us"] // 1000
    check_eq(sum(rx[1][:a]), 0, "port 1 traffic before the switch")
    check_eq(sum(rx[0][a + 20:b]), 0, "port 0 traffic while port 1 sent")

if __name__ == "__main__":
    vfotest.main(test, "probe_switch")
