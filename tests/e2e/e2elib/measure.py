# SPDX-License-Identifier: BSD-3-Clause
"""measure — a run's figures, gap decomposition and outside check, from what
the run recorded; pure functions of the data (no VM needed), so a saved run
can be measured again.

One clock: every time here is host CLOCK_REALTIME µs ("wall").  vfprobe's
report counts from its t0 on that clock (its TSC measured against it at
start; its receive times are the kernel's), QEMU's STOP and RESUME events
carry QEMU's own wall stamps, tcpdump's are the kernel's, the harness's
steps are CLOCK_MONOTONIC converted once per run, and the guest's
CLOCK_MONOTONIC (vfailover's marks and timeline) is placed by gclock's
round trips, once on the source (before the STOP) and once on the
destination (after the RESUME: the guest's clock stops with the VM).

The gap decomposition follows the gap at the receiver that holds the
RESUME (the migration's gap), as a chain of events whose segments add up
to it:

  rx_last     last probe packet the receiver got before the gap
  stop        QEMU STOP (source)
  resume      QEMU RESUME (destination)
  turn        the guest's first forwarding-loop turn after the RESUME: the
              end of the lcore batch that spans the pause (a stall mark);
              without one, the batch took less than the stall threshold and
              turn = resume (bounded by it)
  ready       a packet is there for the loop: the later of turn and avail
  fwd         the first packet through the guest's loop after the RESUME:
              the end of the batch that moved it (that stall mark if it
              moved packets, else the rx_resumed mark), or its reply's exit
              from the destination's tap if that came first (clip())
  tap_out     that packet leaving the destination's tap (tcpdump)
  rx_first    the receiver gets it

and, beside the chain: fwd_last (the guest's last batch that moved packets
before the STOP), avail (when the first packet forwarded after the RESUME
was there for the guest: the RESUME if it was already in the guest before
the STOP, else its arrival at the destination's tap), tap_in (the first
probe packet the host put on the destination's tap: its announcement
reached the bridge).

Whose time is whose (owner):
  QEMU      STOP -> RESUME; RESUME -> turn (the vCPU runs guest code again:
            TCG retranslates, the VM's first scheduling); fwd -> tap_out
  vfailover turn (or avail, if later) -> fwd: a packet there and the loop
            running, not yet forwarded; before the STOP: a packet there
            (arrived at the source's tap) that the loop, running, did not
            forward before the STOP ("own_before_stop")
  host      tap_out -> rx_first (bridge, veth, receiver); rx_last -> STOP
            beyond what the guest held
"""
import statistics

from . import pcapcount

# A lost packet belongs to the pause when sent from PAUSE_LEAD_US before
# the STOP to PAUSE_TAIL_US after the RESUME (see study.py).
PAUSE_LEAD_US = 20000
PAUSE_TAIL_US = 5000
# The outside check: vfprobe and the captures agree within this.
AGREE_PKTS = 1
AGREE_GAP_US = 1000


def vfprobe_gaps(report):
    """Returns vfprobe's gaps with wall start/end (µs), without those at the
    tail (after sending stopped: "tail", "seq+tail", ...: any kind that
    includes "tail")."""
    t0 = report["t0_us"]
    out = []
    for g in report.get("gaps", []):
        if "tail" in g.get("kind", "").split("+"):
            continue
        out.append(dict(g, wall_start_us=t0 + g["start_us"], wall_end_us=t0 + g["end_us"]))
    return out


def send_times(report, rate_pps):
    """Returns seq -> wall µs at which vfprobe's paced generator sent it."""
    start = next((e["t_us"] for e in report.get("events", [])
                  if e.get("text", "").startswith("tx start")), 0) + report["t0_us"]
    return lambda seq: start + seq * 1e6 / rate_pps


def wire_times(sent_c, sent_at):
    """Returns (when, lag_us): when(seq) is the wall µs at which the packet
    first left on the probe's side (capture records (t, seq, file) in
    'sent_c'), its schedule (sent_at) when no capture saw it; lag_us is the
    sender's largest lag behind its schedule (None without captures).
    vfprobe's paced generator sends what fell due while it was not scheduled
    all at once afterwards, so a lost packet is placed where it went on the
    wire, not where the schedule put it."""
    first = {q: t for t, q, _ in reversed(sent_c or ())}
    lag = max((t - sent_at(q) for q, t in first.items()), default=None)
    return (lambda q: first[q] if q in first else sent_at(q)), lag


def lost_outside(lost_seqs, sent_at, windows):
    """Returns the lost sequence numbers whose send time is outside every
    (start, end) wall-µs window."""
    return [q for q in lost_seqs if not any(a <= sent_at(q) <= b for a, b in windows)]


def cut_window(cut, host_to_backup, sent_vf, sent_at, stop):
    """Returns the cut window (start, end), wall µs: from the cut to the
    host sending to the backup side.  The switch command's time stamp
    (host_to_backup) comes before vfprobe applies it: a packet it still sent
    on the VF side after the cut and before the STOP (sequence numbers
    'sent_vf', from the outside capture) was sent in the window, whatever
    its scheduled time (sent_at) reads."""
    late = [q for q in sent_vf if cut <= sent_at(q) < stop]
    return cut, max([host_to_backup] + [sent_at(q) for q in late])


def vfprobe_lost_seqs(gaps):
    """Returns the sequence numbers vfprobe counted lost (its gaps' runs;
    a run partly filled by reordered packets counts whole only when all of
    it is missing, else its first 'missing' numbers)."""
    out = []
    for g in gaps:
        n = g.get("missing", 0)
        if n > 0:
            out.extend(range(g["first_seq"], g["first_seq"] + n))
    return out


def pause_gap(receptions, resume):
    """Returns (last before, first after) of the receptions [(t, seq, file)]
    around 'resume' (wall µs), or (None, None)."""
    before = [r for r in receptions if r[0] <= resume]
    after = [r for r in receptions if r[0] > resume]
    return (before[-1] if before else None), (after[0] if after else None)


def to_host(sync, guest_us):
    """Guest CLOCK_MONOTONIC µs -> host wall µs with a gclock Sync doc."""
    return guest_us - sync["offset_us"]


def guest_events(marks, syncs, stop, resume):
    """Returns the guest's events around the pause (wall µs): turn (end of
    the lcore batch that spans the pause: the stall mark holding the STOP;
    without one the batch was shorter than the stall threshold: turn =
    resume, "turn_bound" true), turn_from (that batch's start, before the
    STOP), fwd (end of the first batch after the RESUME that moved packets:
    the spanning batch itself if it moved some, else the rx_resumed mark
    whose quiet spell holds the STOP; without either, fwd is within the
    quiet threshold of turn: "fwd_bound" true), fwd_last (end of the last
    batch that moved packets before the STOP, when an rx_resumed mark gives
    it), frozen_ms (how long the guest's clock stood still: the two syncs'
    offsets) and err_us (the conversion's error bound); {} without marks or
    both syncs."""
    if not marks or "src" not in syncs or "dst" not in syncs:
        return {}
    pre, post = syncs["src"], syncs["dst"]
    g_stop = stop + pre["offset_us"]  # the guest's clock stops here
    tol = pre["err_us"] + post["err_us"] + 200
    every = [m for lc in marks["lcores"] for m in lc["marks"]]
    out = {"err_us": round(pre["err_us"] + post["err_us"], 1),
           "frozen_ms": round((pre["offset_us"] - post["offset_us"]) / 1e3, 3)}
    span = [m for m in every if m["kind"] == "stall"
            and m["from_us"] <= g_stop + tol and m["to_us"] >= g_stop - tol]
    s = max(span, key=lambda m: m["to_us"] - m["from_us"]) if span else None
    if s:
        out["turn_from"] = to_host(pre, s["from_us"])
        out["turn"] = max(resume, to_host(post, s["to_us"]))
        out["turn_cpu_ms"] = None
        before = [m for m in every if m["to_us"] < s["to_us"] and m is not s]
        if before:  # the lcore's CPU time over the spanning batch (and since the last mark)
            out["turn_cpu_ms"] = round((s["cpu_us"] - before[-1]["cpu_us"]) / 1e3, 3)
            out["turn_guest_ms"] = round((s["to_us"] - before[-1]["to_us"]) / 1e3, 3)
    else:
        out["turn"] = resume
        out["turn_bound"] = True
    rx = [m for m in every if m["kind"] == "rx_resumed"
          and m["from_us"] <= g_stop + tol and m["batch_us"] >= g_stop - tol]
    if s and s["pkts"] > 0:
        out["fwd"] = out["turn"]
        out["fwd_pkts"] = s["pkts"]
    elif rx:
        r = min(rx, key=lambda m: m["to_us"])
        out["fwd_last"] = to_host(pre, r["from_us"])
        out["fwd"] = max(out["turn"], to_host(post, r["to_us"]))
        out["fwd_pkts"] = r["pkts"]
    else:
        out["fwd"] = out["turn"] + (marks.get("quiet_us") or 0)
        out["fwd_bound"] = True
    return out


def stalled_within(marks, sync, a, b):
    """Returns the µs of [a, b] (wall; b: the VM's stop) during which the
    lcore was stalled, from its stall marks converted with 'sync'.  The
    batch that spans the pause counts too, but for its first stall_us (the
    marks' threshold): a batch that runs takes far less (the loop reads the
    TSC once per batch), so the rest of its part before the stop is the
    vCPU not running (a host that did not schedule it), as for every other
    stall mark; the first stall_us stays vfailover's (conservative: its TX
    is flushed at the batch's end)."""
    total = 0
    thresh = (marks or {}).get("stall_us", 1000)
    for lc in (marks or {}).get("lcores", []):
        for m in lc["marks"]:
            if m["kind"] != "stall":
                continue
            lo, hi = max(a, to_host(sync, m["from_us"])), to_host(sync, m["to_us"])
            if hi > b:  # spans the stop (its end is on the other side of the pause)
                total += max(0, b - lo - thresh) if lo < b else 0
            else:
                total += max(0, hi - lo)
    return total


def tap_events(taps, stop, resume, seq_after, src=("sv", "sb"), dst=("dv", "db")):
    """From the tap captures {name: (sent, received)} (sent: host -> guest,
    received: guest -> host, as pcapcount.packets), returns: tap_in (first
    host -> guest probe packet on a destination tap after the RESUME),
    tap_out (first guest -> host one there), src_out_last (last guest ->
    host on a source tap up to the RESUME), and avail_tap (when seq_after
    first reached any tap towards the guest) with where ("src"/"dst")."""
    out = {}
    dst = [n for n in dst if n in taps]
    src = [n for n in src if n in taps]
    ins = sorted(t for n in dst for t, _, _ in taps[n][0] if t > resume)
    outs = sorted(t for n in dst for t, _, _ in taps[n][1] if t > resume)
    last = sorted(t for n in src for t, _, _ in taps[n][1] if t <= resume)
    if ins:
        out["tap_in"] = ins[0]
    if outs:
        out["tap_out"] = outs[0]
    if last:
        out["src_out_last"] = last[-1]
    if seq_after is not None:
        seen = sorted((t, n) for n in taps for t, q, _ in taps[n][0] if q == seq_after)
        if seen:
            out["avail_tap"] = seen[0][0]
            out["avail_where"] = "src" if seen[0][0] <= stop and seen[0][1] in src else "dst"
    return out


# The chain's events in order, and who owns the time up to each.
CHAIN = ["rx_last", "stop", "resume", "turn", "ready", "fwd", "tap_out", "rx_first"]
OWNER = {"stop": "host", "resume": "QEMU", "turn": "QEMU/TCG", "ready": "host/QEMU",
         "fwd": "vfailover", "tap_out": "QEMU", "rx_first": "host"}
WHAT = {"stop": "last reply before the gap -> STOP", "resume": "VM paused (STOP -> RESUME)",
        "turn": "RESUME -> the guest's loop runs", "ready": "loop runs -> a packet there",
        "fwd": "packet there -> forwarded", "tap_out": "-> out of the destination's tap",
        "rx_first": "-> receiver"}


def qemu_events(paths, ev, stop, resume):
    """From QEMU's trace logs {"src": path, "dst": path} (qtrace.py) and the
    tap events 'ev' already found, returns (wall µs): q_src_rx_last /
    q_src_tx_last (the source's last frame into the guest's RX ring / out
    of its TX ring before it stopped), q_src_stopped and q_dst_running (the
    VM's run state), q_dst_rx_first / q_dst_tx_first (the destination's
    first frame in / out after it ran); avail (when the first packet
    forwarded after the RESUME was in the guest's ring: the RESUME if the
    source had put it there, else its delivery on the destination) and
    pending_since (that packet's delivery on the source, when the guest had
    it before the STOP and did not forward it then)."""
    from . import qtrace
    src = qtrace.read(paths["src"]) if paths.get("src") else None
    dst = qtrace.read(paths["dst"]) if paths.get("dst") else None
    out = {}
    if not src or not dst:
        return out
    end_src = max((t for t in src["stopped"] if t <= resume), default=stop)
    last = [t for t in src["rx"] if t <= end_src]
    if last:
        out["q_src_rx_last"] = last[-1]
    last = [t for t in src["tx"] if t <= end_src]
    if last:
        out["q_src_tx_last"] = last[-1]
    if src["stopped"]:
        out["q_src_stopped"] = end_src
    run = [t for t in dst["running"] if t >= stop]
    if run:
        out["q_dst_running"] = run[0]
    first = [t for t in dst["rx"] if t >= resume - 1000]
    if first:
        out["q_dst_rx_first"] = first[0]
    first = [t for t in dst["tx"] if t >= resume - 1000]
    if first:
        out["q_dst_tx_first"] = first[0]
    a = ev.get("avail_tap")
    if a is not None:
        ring = src["rx"] if ev.get("avail_where") == "src" else dst["rx"]
        got = [t for t in ring if t >= a]
        if ev.get("avail_where") == "src":
            if got and got[0] <= end_src:
                out["avail"] = resume  # in the guest's ring at the STOP
                out["pending_since"] = got[0]
        elif got:
            out["avail"] = got[0]
    return out


def announce_windows(paths, resume, pmd_rarps=()):
    """Returns the destination's virtio-net announce requests after the
    RESUME (from 1 ms before it) with the pause each caused in DPDK's
    virtio PMD, [(asked, pmd_rarp)] wall µs: asked from QEMU's trace log
    paths["dst"] (qtrace.py: QEMU sets VIRTIO_NET_S_ANNOUNCE and raises a
    config interrupt), pmd_rarp the first of 'pmd_rarps' (the RARPs DPDK's
    virtio PMD sent, pcapcount.rarps()) after it.  DPDK 22.11's PMD answers
    in its interrupt thread: it stops the port (RX and TX return nothing),
    busy-waits 1 ms, injects its RARP and restarts the port; so its pause
    lies within the window.  pmd_rarp is None when the PMD sent none (it
    did not take the interrupt, or the guest's kernel driver answered:
    that driver acks without stopping anything)."""
    from . import qtrace
    dst = qtrace.read(paths["dst"]) if paths.get("dst") else None
    if not dst:
        return []
    rarps = sorted(pmd_rarps)
    return [(a, next((t for t in rarps if t >= a), None))
            for a in dst["announce"] if a >= resume - 1000]


def overlap_us(a, b, windows):
    """Returns how long (µs) [a, b] overlaps the windows [(from, to)] (to
    None: open-ended), counting each instant once."""
    covered, cur = 0.0, a
    for lo, hi in sorted((lo, b if hi is None else hi) for lo, hi in windows):
        lo, hi = max(lo, cur), min(hi, b)
        if hi > lo:
            covered += hi - lo
            cur = hi
    return covered


def clip(ev):
    """Returns the events with what the marks give as upper bounds made
    consistent with what the host saw: the first packet forwarded after the
    RESUME (fwd: the end of the batch that moved it) left the destination's
    tap at tap_out, so it was forwarded by then (fwd_clipped when tap_out is
    earlier); the loop ran (turn) by the time it forwarded; ready is the
    later of turn and avail, at most fwd."""
    ev = dict(ev)
    if ev.get("fwd") is not None and ev.get("tap_out") is not None and ev["tap_out"] < ev["fwd"]:
        ev["fwd"] = max(ev["tap_out"], ev["resume"])
        ev["fwd_clipped"] = True
    if ev.get("turn") is not None and ev.get("fwd") is not None:
        ev["turn"] = min(ev["turn"], ev["fwd"])
        ev["ready"] = min(ev["fwd"], max(ev["turn"], ev.get("avail") or ev["turn"]))
    return ev


def decompose(ev, stop, resume):
    """Returns the chain's segments [{"from", "to", "what", "owner", "ms"}]
    over the events 'ev' has (wall µs; see the module comment): consecutive
    events of CHAIN, so that they add up to the migration gap."""
    ev = clip(dict(ev, stop=stop, resume=resume))
    have = [k for k in CHAIN if ev.get(k) is not None]
    out = []
    for a, b in zip(have, have[1:]):
        what = WHAT[b] if CHAIN.index(b) == CHAIN.index(a) + 1 else f"{a} -> {b}"
        out.append({"from": a, "to": b, "what": f"{OWNER[b]}: {what}", "owner": OWNER[b],
                    "ms": round((ev[b] - ev[a]) / 1e3, 3)})
    return out


def own_segments(ev, marks, syncs, stop, announce=()):
    """Returns vfailover's own parts of the gap (ms): after the RESUME, from
    when it ran with a packet there to the packet forwarded, and how much of
    that lay within the announce handshakes 'announce' (announce_windows():
    the virtio PMD's pause, inside vfailover's process but not its code;
    a request the PMD did not answer does not count);
    before the STOP, how long a packet that had reached the guest's tap
    waited, unforwarded, while the loop ran, up to the VM's stop: QEMU's
    trace of it (q_src_stopped, after its vCPU paused) when that is earlier
    than the STOP event, which QEMU sends after the stop's handlers ran (10
    ms later in a run on a loaded host).  None where unknown."""
    out = {"after_resume_ms": None, "before_stop_ms": None}
    ev = clip(ev)
    if ev.get("fwd") is not None:
        out["after_resume_ms"] = round(max(0.0, ev["fwd"] - ev["ready"]) / 1e3, 3)
        if announce:
            # A request the PMD did not answer shows no pause.
            done = [(a, b) for a, b in announce if b is not None]
            out["after_resume_announce_ms"] = round(
                overlap_us(ev["ready"], ev["fwd"], done) / 1e3, 3)
        if ev.get("fwd_bound") and not ev.get("fwd_clipped"):
            out["after_resume_bound"] = True  # at most this: no mark closer
    if ev.get("pending_since") is not None and "src" in syncs:
        stopped = min(stop, ev.get("q_src_stopped") or stop)
        wait = max(0.0, stopped - ev["pending_since"])
        stalled = stalled_within(marks, syncs["src"], ev["pending_since"], stopped)
        out["before_stop_waited_ms"] = round(wait / 1e3, 3)
        out["before_stop_stalled_ms"] = round(stalled / 1e3, 3)
        out["before_stop_ms"] = round(max(0.0, wait - stalled) / 1e3, 3)
    elif ev.get("fwd") is not None:
        out["before_stop_ms"] = 0.0
    return out


def outside_check(report, counted):
    """Compares vfprobe's totals and longest gap with the capture count
    (pcapcount.count over the probe-side captures); returns the figures,
    the differences and whether they agree (within AGREE_PKTS packets and
    AGREE_GAP_US)."""
    gaps = vfprobe_gaps(report)
    longest = max((g["duration_us"] for g in gaps), default=0)
    mine = {"sent": report.get("tx", {}).get("sent"), "received": report["totals"]["unique"],
            "lost": report["totals"]["lost"], "longest_gap_us": longest}
    diff = {k: (None if mine[k] is None else mine[k] - counted[k]) for k in mine}
    ok = all(d is not None and abs(d) <= (AGREE_GAP_US if k == "longest_gap_us" else AGREE_PKTS)
             for k, d in diff.items())
    # What vfprobe's own ports dropped before it saw them (it counts those
    # as lost): where a disagreement comes from, when it is there.
    drops = {f"port{p['port']}": sum(p.get(k) or 0
                                     for k in ("rx_missed", "rx_nombuf", "rx_errors"))
             for p in report.get("ports", []) if "rx_missed" in p}
    return {"vfprobe": mine, "capture": {k: counted[k] for k in mine}, "diff": diff,
            "agree": ok, "vfprobe_port_drops": drops}


def median_ci(values, conf=0.95):
    """Returns (lo, hi, coverage) of the distribution-free confidence
    interval of the median from order statistics: the narrowest symmetric
    pair (x(k), x(n+1-k)) whose binomial coverage is >= conf, or the widest
    (min, max) with its lower coverage when n is too small."""
    xs = sorted(values)
    n = len(xs)
    if n == 0:
        return None, None, 0.0
    from math import comb
    best = (xs[0], xs[-1], 1 - 2 * 0.5 ** n)
    for k in range(1, n // 2 + 1):
        cov = 1 - 2 * sum(comb(n, i) for i in range(k)) / 2 ** n
        if cov >= conf:
            best = (xs[k - 1], xs[n - k], cov)
    return best[0], best[1], round(best[2], 4)


def summary(values):
    """Returns {"median", "min", "max", "n", "ci_lo", "ci_hi", "ci_cov"}."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    lo, hi, cov = median_ci(vals)
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
            "n": len(vals), "ci_lo": lo, "ci_hi": hi, "ci_cov": cov}


def count_captures(paths, probe_mac, guest_mac, report):
    """pcapcount.count over the probe-side captures, as vfprobe counts: the
    receptions up to the end of its receiving window (a frame the guest
    releases after vfprobe stopped listening is lost to it), and gaps by
    its definition (a silence shorter than its gap_us without a missing
    packet is no gap: config.gap_us of its report)."""
    return pcapcount.count(paths, probe_mac, guest_mac,
                           until_us=report["t0_us"] + report["duration_us"],
                           min_gap_us=(report.get("config") or {}).get("gap_us", 0))
