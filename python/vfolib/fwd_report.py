# SPDX-License-Identifier: BSD-3-Clause
"""fwd_report — the README's forwarding tables from a bench-forwarding JSON.

    text = readme_tables(json.load(open("docs/results/forwarding-peer.json")))

Used by `scripts/bench-forwarding --report JSON --readme` and by
`scripts/gen-tables` (generator 'forwarding'), so that the README shows
exactly what the command prints.
"""
import statistics

PEER_PAIRS = ("memif-peer", "vhost-peer")

# Issue 13's pass rules, fixed before the runs: vfailover / testpmd, the
# median over all interleaved cycles (or of the per-round ratios without
# --interleave), per (setup, frame size).  1518 B: "no measurable cost" with
# about +-5 % of noise here.
TARGETS = {("memif-peer", 64): 1.00, ("vhost-peer", 64): 0.98,
           ("memif-peer", 1518): 0.95, ("vhost-peer", 1518): 0.95}


def fmt_mpps(pps):
    """Packets per second as Mpps with two decimals ('-' when unknown)."""
    return "-" if pps is None else f"{pps / 1e6:.2f}"


def loaded_by(res):
    """Returns (loaded, other CPU): whether other work took more than the
    run's --noise-cpu (median over trials) — then its ratios are not the
    DUTs' and it gives no verdict — and that median (None when unknown)."""
    other = [t["cpu_during"]["other_cpu"] + t["cpu_during"]["steal_cpu"]
             for t in res["trials"] if t.get("cpu_during")]
    if not other:
        return False, None
    med = statistics.median(other)
    return med > res.get("method", {}).get("noise_cpu", 0.10), med


def _verdict(r, ratio, loaded):
    """The target cell of one outside-peer row."""
    want = TARGETS.get((r["pair"], r["size"]))
    if want is None or ratio is None:
        return "-"
    return f"≥ {want:.2f}: " + ("no verdict (loaded)" if loaded else
                                "**met**" if ratio >= want else "**missed**")


def _peer_table(rows, loaded):
    """The outside-peer rows of vfailover with their targets."""
    out = ["| outside testpmd peer, idle connected backups | frame | testpmd Mpps "
           "| vfailover Mpps | vfailover / testpmd (median, IQR, cycles) "
           "| stable cycles | target |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        ratio = r.get("cycle_ratio_median", r.get("pair_ratio_median"))
        iqr = r.get("cycle_ratio_iqr")
        n = r.get("cycle_ratios", len(r.get("pair_ratios", [])))
        spread = f"{iqr[0]:.2f}–{iqr[1]:.2f}, " if iqr else ""
        stable = "-" if r.get("stable_cycle_ratio_median") is None else \
            f"{r['stable_cycle_ratio_median']:.2f} ({r['stable_cycles']})"
        out.append(f"| {r['pair']} | {r['size']} B | {fmt_mpps(r['testpmd_pps'])} | "
                   f"{fmt_mpps(r['dut_pps'])} | "
                   + ("-" if ratio is None else f"**{ratio:.2f}** ({spread}{n})")
                   + f" | {stable} | {_verdict(r, ratio, loaded)} |")
    return "\n".join(out)


def _alone_table(rows):
    """The DUT-alone rows per lcore count (the per-core scaling)."""
    out = ["| DUT alone (per-core scaling) | frame | lcores | testpmd Mpps "
           "| vfailover Mpps | median of pair ratios (rounds) |",
           "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        prm = "-" if r["pair_ratio_median"] is None else \
            f"{r['pair_ratio_median']:.2f} ({len(r['pair_ratios'])})"
        out.append(f"| {r['pair']} | {r['size']} B | {r.get('lcores', 1)} | "
                   f"{fmt_mpps(r['testpmd_pps'])} | {fmt_mpps(r['dut_pps'])} | {prm} |")
    return "\n".join(out)


def readme_tables(res):
    """The README's tables of one official run 'res' (a bench-forwarding
    JSON document): the command that produced it, then the outside-peer
    rows of vfailover (not its variants) with the target of each, then the
    DUT-alone rows; Markdown ending in a newline."""
    rows = [r for r in res["summary"] if r["dut"] == "vfailover"]
    peer = [r for r in rows if r["pair"] in PEER_PAIRS]
    alone = [r for r in rows if r["pair"] not in PEER_PAIRS]
    loaded, other = loaded_by(res)
    noise = res.get("method", {}).get("noise_cpu", 0.10)
    parts = [f"`{res['command']}` at {res['vfailover_rev']}, {res['started'][:16]}, "
             f"{res['cpu']}, {res['nproc']} cores"
             + (" (INTERRUPTED)" if res.get("interrupted") else "")
             + (f"; LOADED: other work took {other:.2f} CPU (median over trials, more "
                f"than {noise:.2f}): no verdicts" if loaded else "") + ":"]
    if peer:
        parts.append(_peer_table(peer, loaded))
    if alone:
        parts.append(_alone_table(alone))
    return "\n\n".join(parts) + "\n"
