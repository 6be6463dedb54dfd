#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""signal_shutdown: SIGTERM and SIGINT stop vfailover cleanly.

After a round of exact traffic through the memif reflect fixture, SIGTERM:
vfailover exits 0 within 5 s, prints "vfailover: stopping" and totals that
match the traffic exactly (vf rx/tx packets and bytes, backup idle, no
drops, "forwarded N pkts"), and removes its control socket.  Then a second
vfailover (net_null members, no traffic) gets SIGINT: exit 0, zero totals,
socket removed.

    test_signal_shutdown.py VFAILOVER_BIN SOURCE_DIR
"""
import os
import signal
import time

import vfotest
from vfotest import check, check_eq, log


def check_totals(out, name, pkts):
    """Checks vfailover's exit summary for uplink 'name' after 'pkts'
    reflected 64-byte packets."""
    b = pkts * 64
    want = [
        "vfailover: stopping",
        f"totals: {name} vf     rx {pkts} pkts {b} B, tx {pkts} pkts {b} B, "
        "rx_missed 0 rx_nombuf 0",
        f"totals: {name} backup rx 0 pkts 0 B, tx 0 pkts 0 B, rx_missed 0 rx_nombuf 0",
        f"totals: {name} drops tx_full 0 no_member 0",
        f"totals: forwarded {pkts} pkts",
    ]
    for line in want:
        check(line in out, f"exit summary lacks {line!r}; stderr (rte_log):\n{out}")


def stop_and_check(proc, sig, ctl_path):
    """Sends 'sig'; checks exit 0 within 5 s and the socket removed."""
    t = time.monotonic()
    proc.send_signal(sig)
    rc = proc.wait(5)
    log(f"{proc.name}: exit {rc} {time.monotonic() - t:.2f} s after signal {sig}")
    check_eq(rc, 0, f"{proc.name} exit status after signal {sig}")
    check(not os.path.exists(ctl_path), f"{ctl_path} left behind after signal {sig}")


def test(h):
    f = vfotest.MemifReflect(h)
    n = f.check_round(8) + f.check_round(8)
    stop_and_check(f.vfo, signal.SIGTERM, f.ctl_path)
    check_totals(f.vfo.stderr(), "u0", n)

    ctl_path = h.path("null.sock")
    p = h.vfailover("vfailover_null", ["--vf", "net_null0,no-rx=1",
                                       "--backup", "net_null1,no-rx=1",
                                       "--ctl", ctl_path, "--stats-interval", "0"],
                    ctl_path=ctl_path)
    stop_and_check(p, signal.SIGINT, ctl_path)
    check_totals(p.stderr(), "u0", 0)


if __name__ == "__main__":
    vfotest.main(test, "signal_shutdown")
