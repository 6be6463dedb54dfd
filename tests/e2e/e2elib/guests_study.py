# SPDX-License-Identifier: BSD-3-Clause
"""guests_study — one cell of the N-guest study (tests/e2e/run-guests):
N guests with one --idle-yield mode and one placement, measured idle, under
traffic, and while guest 0 migrates.

A cell:
  1. boots N guests at once (vfailover over the VF stand-in, an e1000e or
     a vmxnet3, and the virtio backup, --fwd macswap; e2e.vfoargs=--idle-yield,MODE unless off); with
     pinning, guest i's vCPU goes to host CPU 1 - i % 2 and every other
     QEMU thread to CPU 0 (where the vfprobes run too);
  2. idle: the host CPU time of each guest's QEMU process over IDLE_S s;
  3. traffic: one vfprobe per guest sends RATE packets/s of 64 B from the
     guest's VF side (--idle-sleep-us: a busy vfprobe per guest would take
     the host's CPUs); over TRAFFIC_S s, each guest's sent and received
     probe packets (its forwarding rate) and its QEMU's CPU time, and the
     probes' own;
  4. migration (unless off): guest 0 migrates, planned, to a local
     destination QEMU (GuestsTestbed.migrate_planned) while every probe
     keeps sending; POST_S s later the probes stop;
  5. from each probe's report: packets lost over the whole run, lost with
     their send time in the traffic window, and, during the migration
     window (from its first step to 1 s after the host steered back to the
     VF), packets lost and the longest gap, for the migrating guest and for
     each of the others.
"""
import os
import time

from vfolib.cpu import CpuMeter

from .ctl import GuestCtl
from .guests import GuestsTestbed, pin_vcpus

PROBE_CPU = 0  # the vfprobes' CPU (-l 0)


def _wall_us(mono):
    """CLOCK_REALTIME µs of monotonic time 'mono' (s): vfprobe's clock."""
    return (mono + (time.time() - time.monotonic())) * 1e6


def window_figures(report, rate_pps, w0_us, w1_us):
    """Returns (lost, longest gap ms) of a vfprobe report within the wall
    clock window [w0_us, w1_us): packets lost whose send time falls in it,
    and the longest gap (not the tail) overlapping it."""
    t0 = report["t0_us"]
    start = next((e["t_us"] for e in report.get("events", [])
                  if e.get("text", "").startswith("tx start")), 0)
    lo, hi = w0_us - t0, w1_us - t0
    lost, longest = 0, 0.0
    for g in report.get("gaps", []):
        if g.get("kind") == "tail":
            continue
        if g["end_us"] >= lo and g["start_us"] <= hi:
            longest = max(longest, g["duration_us"] / 1e3)
        if g.get("missing", 0) > 0:
            lost += sum(1 for q in range(g["first_seq"], g["last_seq"] + 1)
                        if lo <= start + q * 1e6 / rate_pps < hi)
    return lost, longest


def pin_layout(n):
    """Guest i's vCPU CPU under pinning: 1, 0, 1, 0, ..."""
    return [1 - i % 2 for i in range(n)]


def run_cell(guest_dir, vfprobe, n, mode, pin, rate, idle_s, traffic_s, migrate, post_s,
             vf_model="e1000e", log=print):
    """Runs one cell; returns its figures (a dict)."""
    args = ["e2e.guest=vfailover"]
    if mode != "off":
        args.append(f"e2e.vfoargs=--idle-yield,{mode}")
    res = {"n": n, "mode": mode, "pin": pin, "rate_pps": rate, "vf_model": vf_model,
           "started": time.strftime("%FT%T"), "load_start": os.getloadavg()[0]}
    t_boot = time.monotonic()
    with GuestsTestbed(guest_dir, n, args, vf_model=vf_model) as tb:
        vms = tb.start_guests()
        res["boot_s"] = round(time.monotonic() - t_boot, 1)
        if pin == "pinned":
            res["pinning"] = pin_vcpus(vms, pin_layout(n), others={PROBE_CPU})
        ctls = [GuestCtl(vm.ctl_path) for vm in vms]
        res["idle_yield"] = [c.call("status")["idle_yield"] for c in ctls]
        for c in ctls:
            c.close()
        qemu = {vm.name: vm.proc.pid for vm in vms}
        time.sleep(3)
        m = CpuMeter(list(qemu.values()))
        time.sleep(idle_s)
        idle = m.read()
        res["idle_cpu_pct"] = [round(100 * idle["per_pid"][str(qemu[f"g{i}"])] / idle["wall_s"], 2)
                               for i in range(n)]
        res["idle_machine_busy_cores"] = idle["machine_busy_cores"]
        # After the window too: a member distrusted meanwhile (its RX
        # interrupts did not come) explains a guest that stayed busy.
        res["idle_yield_after"] = []
        for vm in vms:
            c = GuestCtl(vm.ctl_path)
            res["idle_yield_after"].append(c.call("status")["idle_yield"])
            c.close()
        log(f"  idle: host CPU per guest {res['idle_cpu_pct']} %")

        probes = [tb.probe(i, vfprobe, rate) for i in range(n)]
        time.sleep(2)
        c0 = [p.counts() for p in probes]
        m = CpuMeter(list(qemu.values()) + [p.proc.pid for p in probes])
        w0 = time.monotonic()
        time.sleep(traffic_s)
        w1 = time.monotonic()
        busy = m.read()
        c1 = [p.counts() for p in probes]
        res["traffic_window_s"] = round(w1 - w0, 2)
        res["sent_pps"] = [round((b[0] - a[0]) / (w1 - w0)) for a, b in zip(c0, c1)]
        res["fwd_pps"] = [round((b[1] - a[1]) / (w1 - w0)) for a, b in zip(c0, c1)]
        res["cpu_pct"] = [round(100 * busy["per_pid"][str(qemu[f"g{i}"])] / busy["wall_s"], 2)
                          for i in range(n)]
        res["probe_cpu_pct"] = [round(100 * busy["per_pid"][str(p.proc.pid)] / busy["wall_s"], 2)
                                for p in probes]
        res["machine_busy_cores"] = busy["machine_busy_cores"]
        log(f"  traffic: fwd {res['fwd_pps']} pps, host CPU per guest {res['cpu_pct']} %")

        mig = None
        if migrate:
            pin_cpu = pin_layout(n)[0] if pin == "pinned" else None
            mig = tb.migrate_planned(0, probes[0], pin_cpu=pin_cpu)
            if pin == "pinned":  # the destination's other threads too
                pin_vcpus([tb.vm("g0")], [pin_cpu], others={PROBE_CPU})
            time.sleep(post_s)
        for p in probes:
            p.call("stop")
        reports = [p.finish() for p in probes]
    res["lost"] = [r["totals"]["lost"] for r in reports]
    res["lost_traffic_window"] = [window_figures(r, rate, _wall_us(w0), _wall_us(w1))[0]
                                  for r in reports]
    if mig:
        st = mig["steps"]
        a, b = _wall_us(st["first_step"]), _wall_us(st["host_to_vf"] + 1.0)
        figs = [window_figures(r, rate, a, b) for r in reports]
        res["migration"] = {
            "total_ms": mig["total_ms"], "downtime_ms": mig["downtime_ms"],
            "pause_ms": round(mig["pause_ms"], 1),
            "window_s": round(b / 1e6 - a / 1e6, 2),
            "steps_ms": {k: round((v - st["first_step"]) * 1e3, 1) for k, v in st.items()},
            "lost": [f[0] for f in figs], "longest_gap_ms": [round(f[1], 1) for f in figs]}
        log(f"  migration of g0: lost {res['migration']['lost']}, longest gap "
            f"{res['migration']['longest_gap_ms']} ms")
    res["load_end"] = os.getloadavg()[0]
    return res
