#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""probe_ndr: the RFC 2544 binary search finds a known capacity.

  - vfp_dut (vhost-user) forwards at most 100 kpps (token bucket of at
    most 1 s; the excess is dropped).  --ndr between 0 and 400 kpps, trials
    of 3 s, resolution 2 %: every trial above 134 kpps failed (its excess is
    more than the bucket: exact), every trial at or below the result passed,
    each trial sent exactly rate x 3 s, and the result is within 50..134
    kpps (a trial below capacity fails only when a stall of the shared
    machine outlasts the bucket, or when the generator cannot send at the
    trial's rate -- marked "short"; then the search runs once more); the report
    has the "ndr" object and is the best trial's (lost 0);
  - a DUT dropping every 50th packet (2 % loss): with --loss-pct 3 the
    first trial, at full speed, passes and is the result; with --loss-pct 0
    no rate passes: the result is 0 after --ndr-max-trials 4 trials.

    test_probe_ndr.py VFPROBE SOURCE_DIR VFPROBE_OFFLINE VFP_DUT
"""
import vfotest
import vfptest
from vfotest import check, check_eq, log


def ndr(p, name, port, args, trial_s="0.5"):
    """Runs an NDR search through the DUT at 'port'; returns the report."""
    rep = p.run(name, "0", [port],
                ["--ndr", "--trial-s", trial_s, "--gap-us", "1000000"] + args, timeout=120)
    n = rep["ndr"]
    log(f"{name}: ndr {n['rate_pps']:.0f} pps after {len(n['trials'])} trials: " +
        ", ".join(f"{t['rate_pps']:.0f}{'+' if t['pass'] else '-'}" for t in n["trials"]))
    return rep


def test(h):
    p = vfptest.Probe(h)
    dut, port = p.dut("cap", ["--max-pps", "100000", "--bucket-ms", "1000"])
    for attempt in (1, 2):
        rep = ndr(p, f"capacity{attempt}", port, ["--rate", "400k", "--ndr-res-pct", "2"],
                  trial_s="3")
        n = rep["ndr"]
        for t in n["trials"]:
            if t["rate_pps"] > 134000:
                check(not t["pass"], f"trial above capacity passed: {t}")
            if t["rate_pps"] <= n["rate_pps"]:
                check(t["pass"], f"trial at or below the result failed: {t}")
            check(t["sent"] == round(t["rate_pps"] * 3), f"trial sent rate x duration: {t}")
            if t["short"]:
                check(not t["pass"], f"a trial the generator fell short of passed: {t}")
        check(n["rate_pps"] <= 134000, f"NDR {n['rate_pps']:.0f} pps above the capacity")
        if n["rate_pps"] >= 50000:
            break
        # Only a stall of the shared machine longer than the bucket makes a
        # trial below capacity lose: one more search, then it is a failure.
        log(f"NDR {n['rate_pps']:.0f} pps below 50 kpps: machine stalls? one more search")
    p.dut_stop(dut)
    check(50000 <= n["rate_pps"], f"NDR {n['rate_pps']:.0f} pps, want 50..134 kpps")
    check(len(n["trials"]) <= 20, "trials within --ndr-max-trials")
    check_eq(rep["totals"]["lost"], 0, "loss of the reported (best) trial")
    check_eq(rep["tx"]["rate_pps"], n["rate_pps"], "reported trial is the result's")

    dut, port = p.dut("lossy", ["--drop-every", "50"])
    rep = ndr(p, "lossy3", port, ["--loss-pct", "3", "--linger-ms", "1000"])
    n = rep["ndr"]
    check_eq(len(n["trials"]), 1, "trials with 3 % allowed")
    check(n["trials"][0]["pass"], "full-speed trial passes with 3 % allowed")
    check_eq(n["rate_pps"], n["trials"][0]["achieved_pps"], "result = full-speed rate")
    t = n["trials"][0]
    check_eq(t["lost"], t["sent"] // 50, "full-speed trial loss = every 50th")
    rep = ndr(p, "lossy0", port, ["--loss-pct", "0", "--ndr-max-trials", "4"])
    n = rep["ndr"]
    check_eq((n["rate_pps"], len(n["trials"])), (0, 4), "zero-loss result and trials")
    check(not any(t["pass"] for t in n["trials"]), "no trial passes at 0 % allowed")
    p.dut_stop(dut)


if __name__ == "__main__":
    vfotest.main(test, "probe_ndr")
