#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bad_input: vfailover refuses bad input cleanly.

Each case must exit non-zero (2 for bad options or config, 1 for a failure
to start), end its stderr with one "vfailover: ..." line naming the culprit
(options and config are refused before EAL starts, so there stderr is that
one line only), print that line once, leave no control socket file behind
and no process running.  Cases: an unknown option, --vf without --backup,
a --vf devargs that does not probe (net_nosuch0), a missing config file,
every tests/unit/data/bad-*.ini, and a --ctl path that a live vfailover
already serves (which must keep serving it).  --help exits 0 with the
usage on stdout and nothing on stderr.

    test_bad_input.py VFAILOVER_BIN SOURCE_DIR
"""
import glob
import os

import vfotest
from vfotest import check, check_eq, log

NULL_VF = "net_null0,no-rx=1"
NULL_BK = "net_null1,no-rx=1"


def run_bad(h, name, args, culprit, want_rc, before_eal):
    """Runs vfailover with 'args' and checks that it fails as described."""
    ctl_path = h.path(f"{name}.sock")
    if "--ctl" not in args:
        args = args + ["--ctl", ctl_path]
    p = h.start_vfailover(name, args)
    rc = p.wait(30)
    err = p.stderr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    check(lines, f"{name}: nothing on stderr (exit {rc})")
    last = lines[-1]
    log(f"{name}: exit {rc}: {last}")
    check_eq(rc, want_rc, f"{name}: exit status")
    check(last.startswith("vfailover: "), f"{name}: last stderr line {last!r} does not "
          "start with 'vfailover: '")
    check(culprit in last, f"{name}: {last!r} does not name {culprit!r}")
    check_eq(lines.count(last), 1, f"{name}: times the error line is printed")
    if before_eal:
        check_eq(len(lines), 1, f"{name}: stderr lines ({err!r})")
        check_eq(p.stdout(), "", f"{name}: stdout")
    check(not os.path.exists(ctl_path), f"{name}: left {ctl_path} behind")
    check_eq(h.pids_with_prefix(p.prefix), [], f"{name}: processes left running")


def test(h):
    data = os.path.join(h.srcdir, "tests", "unit", "data")

    p = h.start_vfailover("help", ["--help"])
    check_eq(p.wait(10), 0, "--help exit status")
    check("Usage:" in p.stdout() and "--vf DEVARGS" in p.stdout(), "--help prints the usage")
    check_eq(p.stderr(), "", "--help stderr")

    run_bad(h, "unknown_option", ["--bogus"], "--bogus", 2, True)
    run_bad(h, "vf_without_backup", ["--vf", NULL_VF], "--backup", 2, True)
    run_bad(h, "no_such_config", ["--config", h.path("nosuch.ini")], "nosuch.ini", 2, True)
    bad = sorted(glob.glob(os.path.join(data, "bad-*.ini")))
    check(len(bad) >= 5, f"only {len(bad)} bad-*.ini files in {data}")
    for path in bad:
        base = os.path.basename(path)
        run_bad(h, base[:-4], ["--config", path], base, 2, True)
    run_bad(h, "nosuch_device", ["--vf", "net_nosuch0", "--backup", NULL_BK],
            "net_nosuch0", 1, False)

    # A live vfailover owns the socket; a second one must not take it over.
    live = h.path("live.sock")
    owner = h.vfailover("owner", ["--vf", NULL_VF, "--backup", NULL_BK, "--ctl", live,
                                  "--stats-interval", "0"], ctl_path=live)
    run_bad(h, "ctl_in_use", ["--vf", NULL_VF, "--backup", NULL_BK, "--ctl", live], live, 1,
            False)
    check(os.path.exists(live), f"the second vfailover removed the live socket {live}")
    check_eq(vfotest.ctl(live, "status")["uplinks"][0]["name"], "u0",
             "the first vfailover still answers on its socket")
    check_eq(owner.running(), True, "the first vfailover still runs")
    check_eq(owner.stop(), 0, "the first vfailover's exit status after SIGTERM")
    check(not os.path.exists(live), f"{live} left behind after SIGTERM")


if __name__ == "__main__":
    vfotest.main(test, "bad_input")
