#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench_report: how scripts/bench-forwarding turns interleaved slots into
the figures the README quotes.

Synthetic rounds (no DPDK): testpmd and vfailover slots of known rates over
10 cycles, one cycle with the vCPUs moved apart during it.  Checks that the
summary's cycle ratio is the median of the per-cycle ratios, that the
stable cycles leave out the moved one, and that `--report JSON --readme`
prints each case's verdict against issue 13's target: met for vhost-peer
64 B at 0.99 (>= 0.98), missed for memif-peer 64 B at 0.99 (>= 1.00).

    test_bench_report.py ROOT
"""
import importlib.machinery
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(sys.argv[1])
SCRIPT = os.path.join(ROOT, "scripts", "bench-forwarding")


def load():
    """scripts/bench-forwarding as a module (its file name has no .py)."""
    loader = importlib.machinery.SourceFileLoader("bench_forwarding", SCRIPT)
    spec = importlib.util.spec_from_loader("bench_forwarding", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def slot(dut, cycle, pps, rtt):
    return {"dut": dut, "cycle": cycle, "pps": pps, "vcpu_rtt_ns": rtt,
            "cpu_during": {"other_cpu": 0.0, "steal_cpu": 0.0}}


def round_of(pair, ratios, moved):
    """testpmd and vfailover trials of one interleaved round: testpmd at
    10 Mpps every cycle, vfailover at ratios[k] of it; in cycle 'moved' the
    round trip jumps from 130 to 600 ns during vfailover's slot."""
    tp = [slot("testpmd", k, 10e6, [130, 130]) for k in range(len(ratios))]
    vf = [slot("vfailover", k, 10e6 * r, [130, 600] if k == moved else [130, 130])
          for k, r in enumerate(ratios)]
    return [{"dut": d, "pair": pair, "size": 64, "lcores": 1, "round": 1, "error": None,
             "slots": s, "median_pps": statistics.median(x["pps"] for x in s),
             "cpu_during": {"other_cpu": 0.0, "steal_cpu": 0.0}}
            for d, s in (("testpmd", tp), ("vfailover", vf))]


def main():
    bf = load()
    ratios = [0.95, 0.97, 0.98, 0.99, 0.99, 0.99, 1.00, 1.01, 1.02, 0.50]
    trials = round_of("memif-peer", ratios, 9) + round_of("vhost-peer", ratios, 9)
    rows = bf.summarize(trials, 0.10)
    failed = []
    for r in rows:
        if r["cycle_ratios"] != 10:
            failed.append(f"{r['pair']}: {r['cycle_ratios']} cycle ratios, want 10")
        if abs(r["cycle_ratio_median"] - statistics.median(ratios)) > 1e-9:
            failed.append(f"{r['pair']}: cycle median {r['cycle_ratio_median']}, want "
                          f"{statistics.median(ratios)}")
        # The cycle whose vCPUs moved (ratio 0.50) is not stable.
        if r["stable_cycles"] != 9 or \
                abs(r["stable_cycle_ratio_median"] - statistics.median(ratios[:9])) > 1e-9:
            failed.append(f"{r['pair']}: stable {r['stable_cycles']} / "
                          f"{r['stable_cycle_ratio_median']}, want 9 / "
                          f"{statistics.median(ratios[:9])}")
    with tempfile.TemporaryDirectory(prefix="bench-report-") as d:
        path = os.path.join(d, "run.json")
        with open(path, "w") as f:
            json.dump({"command": "scripts/bench-forwarding --interleave 1", "started":
                       "2026-12-07T00:00:00+00:00", "vfailover_rev": "abc1234",
                       "cpu": "test", "nproc": 2, "method": {}, "summary": rows,
                       "trials": trials}, f)
        out = subprocess.run([sys.executable, SCRIPT, "--report", path, "--readme"],
                             capture_output=True, text=True, timeout=60)
    lines = {ln.split("|")[1].strip(): ln for ln in out.stdout.splitlines()
             if ln.startswith("| memif-peer") or ln.startswith("| vhost-peer")}
    if out.returncode != 0:
        failed.append(f"--report --readme exit {out.returncode}: {out.stderr}")
    elif "**0.99** (" not in lines.get("memif-peer", "") or \
            ", 10) |" not in lines.get("memif-peer", "") or \
            "≥ 1.00: **missed**" not in lines.get("memif-peer", ""):
        failed.append("memif-peer 64 B at 0.99 should read missed (>= 1.00): "
                      + lines.get("memif-peer", out.stdout))
    elif "≥ 0.98: **met**" not in lines.get("vhost-peer", "") or \
            "0.99 (9)" not in lines.get("vhost-peer", ""):
        failed.append("vhost-peer 64 B at 0.99 should read met (>= 0.98) with 9 stable "
                      "cycles: " + lines.get("vhost-peer", out.stdout))
    for msg in failed:
        print("bench_report: FAIL: " + msg)
    if not failed:
        print("bench_report: OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
