#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""logging: vfailover reports through rte_log, as a systemd service needs.

- Under systemd's journal (JOURNAL_STREAM names stderr), every line of
  stderr carries its syslog priority as a "<N>" prefix (journald strips it
  and files the line at that priority): the start-up line at NOTICE (<5>),
  the periodic [stats] lines at INFO (<6>), and after SIGTERM "stopping"
  and the totals at NOTICE; exit status 0, nothing on stdout.
- --log-level controls them: vfailover.stats:notice drops the periodic
  lines but keeps the totals; vfailover.stats:warning drops the totals too;
  vfailover:warning drops the start-up and stopping lines.
- Without JOURNAL_STREAM the same lines carry no prefix (DPDK's stream).

    test_logging.py VFAILOVER_BIN SOURCE_DIR
"""
import os
import re
import signal
import time

import vfotest
from vfotest import check, check_eq, wait_until

STARTUP = "vfailover: forwarding (io) on 1 lcore(s), 1 uplink(s)"
TOTALS = "totals: u0 vf     rx 0 pkts 0 B, tx 0 pkts 0 B, rx_missed 0 rx_nombuf 0"


def run(h, name, log_levels=(), journal=False):
    """Runs vfailover on idle net_null members with a [stats] line every
    50 ms for about 0.5 s, stops it with SIGTERM and returns its stderr.
    With 'journal', JOURNAL_STREAM names the file its stderr goes to, as
    systemd does for StandardError=journal."""
    err_path = h.path(f"{name}.err")
    open(err_path, "wb").close()  # Proc reopens (truncates) it: same inode
    st = os.stat(err_path)
    if journal:
        os.environ["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    eal = []
    for lv in log_levels:
        eal += ["--log-level", lv]
    ctl_path = h.path(f"{name}.sock")
    try:
        p = h.start_vfailover(name, ["--vf", "net_null0,no-rx=1", "--backup",
                                     "net_null1,no-rx=1", "--ctl", ctl_path,
                                     "--stats-interval", "50"], eal_extra=eal)
    finally:
        os.environ.pop("JOURNAL_STREAM", None)

    def ready():
        check(p.running(), f"{name} exited while starting: {p.stderr()}")
        try:
            return vfotest.ctl(ctl_path, "status")
        except OSError:
            return None
    wait_until(ready, 30, f"{name}'s control socket")
    t0 = time.monotonic()
    if not any(lv.startswith("vfailover.stats:") for lv in log_levels):
        wait_until(lambda: p.stderr().count("[stats]") >= 3, 10, "three [stats] lines")
    time.sleep(max(0.0, 0.5 - (time.monotonic() - t0)))
    check_eq(p.stop(signal.SIGTERM, timeout=5), 0, f"{name} exit status after SIGTERM")
    check_eq(p.stdout(), "", f"{name} stdout (everything goes through rte_log)")
    return p.stderr()


def lines_with(err, text):
    """Returns the lines of 'err' that contain 'text'."""
    return [line for line in err.splitlines() if text in line]


def test(h):
    err = run(h, "journal", journal=True)
    for line in err.splitlines():
        check(re.match(r"<[0-7]>", line), f"journal line without a priority prefix: {line!r}")
    check_eq(len(lines_with(err, f"<5>{STARTUP}")), 1, "start-up line at NOTICE")
    stats = lines_with(err, "[stats] t=")
    check(len(stats) >= 3 and all(s.startswith("<6>[stats] t=") for s in stats),
          f"[stats] lines at INFO: {stats}")
    check(all(s.startswith("<6>  u0 active=vf | vf rx 0 pps")
              for s in lines_with(err, " active=")), "per-uplink stats lines at INFO")
    for want in ("<5>vfailover: stopping", f"<5>{TOTALS}",
                 "<5>totals: u0 drops tx_full 0 no_member 0", "<5>totals: forwarded 0 pkts"):
        check_eq(len(lines_with(err, want)), 1, f"'{want}' once")

    err = run(h, "plain")
    check_eq(len(lines_with(err, STARTUP)), 1, "start-up line without JOURNAL_STREAM")
    check(not re.search(r"^<\d>", err, re.M), "no priority prefix without JOURNAL_STREAM")
    check(err.count("[stats] t=") >= 3, "[stats] lines without JOURNAL_STREAM")

    err = run(h, "stats_notice", ["vfailover.stats:notice"])
    check_eq(err.count("[stats]"), 0, "[stats] lines with vfailover.stats:notice")
    check_eq(len(lines_with(err, TOTALS)), 1, "totals with vfailover.stats:notice")
    check_eq(len(lines_with(err, STARTUP)), 1, "start-up line with vfailover.stats:notice")

    err = run(h, "stats_warning", ["vfailover.stats:warning"])
    check_eq((err.count("[stats]"), err.count("totals:")), (0, 0),
             "[stats] and totals lines with vfailover.stats:warning")

    err = run(h, "vfo_warning", ["vfailover:warning"])
    check_eq((err.count(STARTUP), err.count("vfailover: stopping")), (0, 0),
             "start-up and stopping lines with vfailover:warning")
    check_eq(len(lines_with(err, TOTALS)), 1, "totals (vfailover.stats) with vfailover:warning")


if __name__ == "__main__":
    vfotest.main(test, "logging")
