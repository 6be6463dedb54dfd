# SPDX-License-Identifier: BSD-3-Clause
"""results — the samples bench-failover collects and how they are summed up:
medians and spread per named series, a Markdown table, raw cycles, notes
and failures."""


def pct(sorted_vals, p):
    """Percentile p (0..100) by linear interpolation between closest ranks."""
    if len(sorted_vals) == 1:
        return sorted_vals[0]
    k = (len(sorted_vals) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo)


def summary(vals):
    """Returns {median, p10, p90, min, max, n} of a list of numbers."""
    s = sorted(vals)
    return {"median": pct(s, 50), "p10": pct(s, 10), "p90": pct(s, 90),
            "min": s[0], "max": s[-1], "n": len(s)}


def fmt(v, unit):
    """Formats a value of 'unit' (us, ms, pkts, Mpps)."""
    if unit == "us":
        if abs(v) >= 10000:
            return f"{v / 1000:.1f} ms"
        return f"{v:.0f} µs"
    if unit == "ms":
        return f"{v:.1f} ms"
    if unit == "Mpps":
        return f"{v:.2f} Mpps"
    return f"{v:g}"


class Results:
    """Named series of samples, in the order they were first added."""

    def __init__(self):
        self.series = {}  # label -> {"unit":, "values": []}
        self.cycles = []  # raw per-cycle dicts
        self.notes = []  # lines printed under the table
        self.failures = []  # what failed (any: exit status 1)

    def add(self, label, unit, value):
        """Adds one sample of series 'label' (unit: us, ms, pkts, Mpps, "")."""
        self.series.setdefault(label, {"unit": unit, "values": []})["values"].append(value)

    def table(self):
        """Returns the Markdown table: median, p10, p90, min, max, n per series."""
        lines = ["| measure | median | p10 | p90 | min | max | n |",
                 "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for label, s in self.series.items():
            if not s["values"]:
                continue
            st = summary(s["values"])
            u = s["unit"]
            lines.append(f"| {label} | {fmt(st['median'], u)} | {fmt(st['p10'], u)} | "
                         f"{fmt(st['p90'], u)} | {fmt(st['min'], u)} | {fmt(st['max'], u)} | "
                         f"{st['n']} |")
        return "\n".join(lines)
