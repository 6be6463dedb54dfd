# SPDX-License-Identifier: BSD-3-Clause
"""study — one run of one scenario: traffic, VF out, migrate, VF in, measure.

A scenario (scenarios.py) names the guest program, whether the host warns
the guest (`prepare`), how the host steers its traffic and whether the VF
is cut first (surprise removal).  A run (QMP driver):

  1. starts the source VM (with the e1000e) and the destination (without,
     -incoming), tcpdump on the host side of both paths and on the four
     taps (capture.py), and vfprobe sending RATE packets/s from the
     VF-side port (net_pcap ports: kernel receive times);
  2. after WARM s: host-side make-before-break (steer "follow": vfprobe
     `switch` to the backup-side port), `prefer` / `prepare` to the guest
     when the scenario says so; with cut "tap" the VF's tap on the source
     is set down instead, the host keeps sending to the VF side until the
     guest's RARP shows up on the backup side (steer "learn", as a learning
     switch); then QMP device_del and the wait for DEVICE_DELETED (steer
     "eswitch", failover mode only: the host sends to the VF side while the
     VM has its VF, as an SR-IOV NIC's embedded switch does: to the backup
     side once the guest ejected it, to the VF side at the destination's
     RESUME, its VF already plugged in);
  3. syncs the guest's clock (gclock, source side) and migrates (QMP
     driver); the source quits as soon as it is complete (as libvirt's
     does), which also makes the host bridge forget it;
  4. once the guest forwards again (its first probe packet back after the
     RESUME; at once for VF-only), syncs the guest's clock on the
     destination and reads its lcore marks; then netdev_add + device_add
     of the e1000e on the destination; the host switches back to the
     VF-side port when the guest's first frame arrives there;
  5. POST s more traffic, then vfprobe stops and reports; the marks and
     the timeline are read again, the captures stopped and counted.

Scenarios with driver "libvirt" run the same under libvirt and vfmigrate
(e2elib/study_libvirt.py) and are measured by the same code.  Scenarios in
QEMU's failover mode (failover=True: e2elib/qemu_failover.py) have no
device_del or device_add: QEMU asks the guest to unplug the VF when the
migration starts and plugs it in on the destination while loading; the
run records QEMU's events (unplug_primary, unplug_done: wait-unplug over,
primary_plugged: the re-attach) and, on the VF side, waits for the guest's
replies (QEMU's self-announcement goes out of the primary it has just
plugged in, which a real VF never does).

Figures (measure.py): total migration time and QEMU downtime (from
query-migrate), VM paused (STOP to RESUME events), network downtime (the
longest gap at the receiver, tail excluded), packets lost, lost outside
the VM pause (sent from PAUSE_LEAD_US before the STOP to PAUSE_TAIL_US
after the RESUME) and outside a surprise cut's window (counted by the
probe-side capture, each lost packet at its time on the wire: vfprobe's
sender falls behind its schedule while it is not scheduled and then sends
what fell due at once, and its gaps leave out a tail that never came
back; vfprobe's own figure, placed by its schedule, and the sender's
largest lag are kept as well), the migration gap's
decomposition, vfailover's own segments, the outside check (captures vs
vfprobe), re-attach to the first packet back on the VF side, and every
event on one clock (host CLOCK_REALTIME µs).
"""
import os
import subprocess
import time

from . import gclock, measure
from . import qemu_failover as qf
from .capture import Capture, RarpWatch
from .ctl import GuestCtl
from .migration import migrate, pause
from .pcapcount import packets, rarps
from .probe import BACKUP_PORT, VF_PORT, Probe, ndr
from .scenarios import GUESTS, SCENARIOS
from .testbed import GUEST_MAC, MIGRATE_PORT, PROBE_MAC, Testbed

# How long the guest may take to release the VF after device_del (a
# hypervisor would wait forever; QEMU logs the guest's answers).
UNPLUG_TIMEOUT_S = 10

# How long the host waits, after the migration, for the guest to forward
# again before it plugs the VF in anyway.
RESUMED_TIMEOUT_S = 5

# How long the host waits after a surprise cut for the guest's RARP on the
# backup side (its switch) before it removes the VF anyway.
CUT_TIMEOUT_S = 3

# How often the host asks the guest whether TX is back on the VF (each ask
# costs the 1-vCPU guest's control thread a status reply).
ACTIVE_POLL_S = 0.02

# Packets sent this long before the VM's STOP may still be in flight when
# it stops (host queues, the source's tap; the 1-vCPU guest's lcore stalls
# for up to ~10 ms under TCG): lost, they count as lost in the pause.
# After the RESUME, until QEMU's self-announcement (announce-initial, 1 ms,
# then the bridge) moves the guest's MAC to the destination's tap, the
# host's packets still go to the stopped source: a 5 ms margin.
PAUSE_LEAD_US = measure.PAUSE_LEAD_US
PAUSE_TAIL_US = measure.PAUSE_TAIL_US

# Length of the RARP frame DPDK's virtio PMD injects when QEMU asks the guest
# to announce itself (rte_net_make_rarp_packet(): 64 B; QEMU's own and
# vfailover's are padded to 60 B).
PMD_RARP_LEN = 64

# tcpdump on these interfaces of the testbed: the host side of both paths
# (the bridge ports of vfprobe's veths: the outside check) and the four
# taps (where the guest's frames enter and leave QEMU).
PROBE_CAPTURES = {"pv": "pvb", "pb": "pbb"}
TAP_CAPTURES = {"sv": "sv", "sb": "sb", "dv": "dv", "db": "db"}


# The events of the migration gap (measure.py), wall µs; the rest of
# events_us are annotations (error bounds, counts, flags).
EVENTS = ("rx_last", "stop", "resume", "turn_from", "turn", "fwd_last", "fwd", "tap_in", "tap_out",
          "src_out_last", "avail", "avail_tap", "pending_since", "rx_first", "q_src_rx_last",
          "q_src_tx_last", "q_src_stopped", "q_dst_running", "q_dst_rx_first", "q_dst_tx_first",
          "ready")


class RunError(Exception):
    """A step of a run failed."""


class Clock:
    """The run's one conversion from the host's CLOCK_MONOTONIC (the
    harness's step times) to CLOCK_REALTIME (everything else), taken once."""

    def __init__(self):
        self.off = time.time() - time.monotonic()  # wall - mono, s

    def wall_us(self, mono):
        """Returns the wall µs of monotonic time 'mono' (s)."""
        return None if mono is None else (mono + self.off) * 1e6


def _wait_more(count, since, timeout):
    """Polls count() (a vfprobe counter) until it exceeds 'since'; returns
    the monotonic time, or None after 'timeout' s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if count() > since:
            return time.monotonic()
        time.sleep(0.005)
    return None


def _first_rx_after(receptions, file_index, t):
    """Returns the first reception time (wall µs) on probe capture
    'file_index' at or after t, or None."""
    return next((r[0] for r in receptions if r[2] == file_index and r[0] >= t), None)


def _load_cpu():
    """Returns (busy, total) jiffies of the machine so far (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def measure_run(r):
    """Adds the run's figures to record 'r' (see the module comment) and
    returns it.  r holds: scenario, rate_pps, report (vfprobe's), steps
    (wall µs), stop_us, resume_us, mig (total_ms, downtime_ms), syncs,
    marks (at the RESUME), captures (tcpdump's stats, paths), cut window."""
    sc = SCENARIOS[r["scenario"]]
    rep = r["report"]
    stop, resume = r["stop_us"], r["resume_us"]
    steps = r["steps"]
    gaps = measure.vfprobe_gaps(rep)
    longest = max(gaps, key=lambda g: g["duration_us"], default=None)
    sent_at = measure.send_times(rep, r["rate_pps"])
    pause = (stop - PAUSE_LEAD_US, resume + PAUSE_TAIL_US)
    windows = [pause]
    lost = measure.vfprobe_lost_seqs(gaps)
    caps = r.get("captures", {})
    probe_caps = [caps[n]["path"] for n in PROBE_CAPTURES if n in caps]
    counted = sent_c = recv_c = None
    if len(probe_caps) == len(PROBE_CAPTURES):
        counted = measure.count_captures(probe_caps, PROBE_MAC, GUEST_MAC, rep)
        sent_c, recv_c = packets(probe_caps, PROBE_MAC, GUEST_MAC)
    # The rules count the capture's lost packets at their time on the wire
    # (sent_at: vfprobe's schedule, which a sender that was not scheduled
    # falls behind; its gaps leave out a tail that never came back).
    when, lag_us = measure.wire_times(sent_c, sent_at)
    lost_w = lost if sent_c is None else sorted({q for _, q, _ in sent_c} -
                                                {q for _, q, _ in recv_c})
    if "cut" in steps and "host_to_backup" in steps:
        vf_index = list(PROBE_CAPTURES).index("pv")  # probe_caps' order
        sent_vf = [q for _, q, i in sent_c or () if i == vf_index]
        windows.append(measure.cut_window(steps["cut"], steps["host_to_backup"], sent_vf,
                                          when, stop))
    out = {
        "total_ms": r["mig"].get("total_ms"),
        "downtime_ms": r["mig"].get("downtime_ms"),
        "pause_ms": round((resume - stop) / 1e3, 3),
        "network_downtime_ms": round(longest["duration_us"] / 1e3, 3) if longest else 0.0,
        "longest_gap": longest,
        "sent": rep.get("tx", {}).get("sent"),
        "received": rep["totals"]["received"],
        "lost": rep["totals"]["lost"],
        "lost_outside_pause": len(measure.lost_outside(lost_w, when, [pause])),
        "lost_outside_pause_scheduled": len(measure.lost_outside(lost, sent_at, [pause])),
        "sender_lag_ms": None if lag_us is None else round(lag_us / 1e3, 3),
    }
    if len(windows) > 1:
        out["lost_outside_pause_and_cut"] = len(measure.lost_outside(lost_w, when, windows))
    if counted is not None:
        out["outside"] = measure.outside_check(rep, counted)
        out["outside"]["lost_outside_pause"] = out["lost_outside_pause"]
        out["outside"]["capture_drops"] = {n: caps[n]["dropped"] for n in caps}
    # The migration gap, event by event.
    ev = {}
    if recv_c:
        a, b = measure.pause_gap(recv_c, resume)
        if a:
            ev["rx_last"] = a[0]
        if b:
            ev["rx_first"] = b[0]
            seq_after = b[1]
        else:
            seq_after = None
        taps = {n: packets([caps[n]["path"]], PROBE_MAC, GUEST_MAC) for n in TAP_CAPTURES
                if n in caps}
        same = sc.pause_ms is not None  # paused in place: one VM, its taps both sides
        ev.update(measure.tap_events(taps, stop, resume, seq_after,
                                     dst=("sv", "sb") if same else ("dv", "db")))
        ev.update(measure.qemu_events(r.get("qemu_trace", {}), ev, stop, resume))
    ev.update(measure.guest_events(r.get("marks"), r.get("syncs", {}), stop, resume))
    ev = measure.clip(dict(ev, resume=resume))
    out["events_us"] = {k: (round(v) if isinstance(v, float) else v) for k, v in ev.items()}
    out["events_ms"] = {k: round((v - stop) / 1e3, 3) for k, v in ev.items()
                        if k in EVENTS and v is not None}
    out["segments"] = measure.decompose(ev, stop, resume)
    if ev.get("rx_first") and ev.get("rx_last"):
        out["migration_gap_ms"] = round((ev["rx_first"] - ev["rx_last"]) / 1e3, 3)
    # DPDK's virtio PMD announces with 64 B RARPs (QEMU and vfailover: 60 B).
    dst_taps = ("sv", "sb") if sc.pause_ms is not None else ("dv", "db")
    pmd_rarps = sorted(t for n in dst_taps if n in caps
                       for t, n_bytes in rarps(caps[n]["path"], GUEST_MAC)
                       if n_bytes == PMD_RARP_LEN and t >= resume)
    out["pmd_rarps_ms"] = [round((t - stop) / 1e3, 3) for t in pmd_rarps]
    announce = measure.announce_windows(r.get("qemu_trace", {}), resume, pmd_rarps)
    out["announce_ms"] = [[round((a - stop) / 1e3, 3),
                           None if b is None else round((b - stop) / 1e3, 3)] for a, b in announce]
    if sc.ctl:
        out["own"] = measure.own_segments(dict(ev, resume=resume), r.get("marks"),
                                          r.get("syncs", {}), stop, announce)
    # Re-attach and surprise timings.
    re_at = steps.get("device_add") or steps.get("attach") or steps.get("primary_plugged")
    if re_at and recv_c:
        first_vf = _first_rx_after(recv_c, 0, re_at)
        out["reattach_to_first_vf_ms"] = (None if first_vf is None
                                          else round((first_vf - re_at) / 1e3, 3))
    if "cut" in steps and "src" in r.get("syncs", {}):
        # The guest's switch off the VF after the cut: its detection.
        sw = [measure.to_host(r["syncs"]["src"], e["t_us"]) for e in r.get("guest_timeline", [])
              if e.get("from") == "vf_active" and e.get("to") != "vf_active"]
        sw = [t for t in sw if t >= steps["cut"] - 5000]
        if sw:
            out["cut_detect_ms"] = round((min(sw) - steps["cut"]) / 1e3, 3)
        if "host_to_backup" in steps:
            cut, end = windows[-1]
            out["cut_to_host_backup_ms"] = round((end - cut) / 1e3, 3)
            out["cut_window_sent"] = sum(1 for q in range(out["sent"] or 0)
                                         if cut <= sent_at(q) <= end)
    if "unplug_done" in steps:
        out["wait_unplug_ms"] = round((steps["unplug_done"] - steps["unplug_primary"]) / 1e3, 3)
    out["timeline_ms"] = {k: round((v - stop) / 1e3, 3) for k, v in sorted(
        steps.items(), key=lambda kv: kv[1])}
    r.update(out)
    r["checks"] = check_rules(sc, r)
    return r


# The per-run pass rules (a scenario's "rules" name those that apply).
RULES = {
    "no_loss_outside_pause": "0 packets lost outside the VM pause window (placed by their "
                             "time on the wire)",
    "loss_within_cut": "0 packets lost outside the pause and the cut window "
                       "(cut -> the host sends to the backup side)",
    "own_segments": "vfailover's own segments <= 5 ms (after the RESUME; before the STOP)",
    "outside_agrees": "capture and vfprobe agree within 1 packet and 1 ms",
}
OWN_LIMIT_MS = 5.0
# Rules on milliseconds rather than packets (run-study --gate counts reports
# their misses without failing on them).
TIMING_RULES = ("own_segments",)


def check_rules(sc, r):
    """Returns {rule: {"ok", "why"}} for the scenario's rules and the
    outside check (every run)."""
    out = {}
    for rule in list(sc.rules) + ["outside_agrees"]:
        if rule == "no_loss_outside_pause":
            n = r["lost_outside_pause"]
            out[rule] = {"ok": n == 0, "why": f"{n} lost outside the pause"}
        elif rule == "loss_within_cut":
            n = r.get("lost_outside_pause_and_cut")
            out[rule] = {"ok": n == 0, "why": f"{n} lost outside the pause and the cut window"}
        elif rule == "own_segments":
            own = r.get("own") or {}
            vals = {k: own.get(k) for k in ("after_resume_ms", "before_stop_ms")}
            bad = [f"{k} {v}" for k, v in vals.items() if v is None or v > OWN_LIMIT_MS]
            out[rule] = {"ok": not bad, "why": ", ".join(f"{k} {v}" for k, v in vals.items())}
        elif rule == "outside_agrees":
            o = r.get("outside")
            out[rule] = ({"ok": False, "why": "no capture"} if o is None else
                         {"ok": o["agree"] and not any(o["capture_drops"].values()),
                          "why": f"diff {o['diff']}, capture drops {o['capture_drops']}, "
                                 f"vfprobe port drops {o.get('vfprobe_port_drops')}"})
    return out


def finish(probe, cap, r, dctl, post, clock):
    """Lets 'post' s more traffic flow, stops vfprobe, reads the guest's
    timeline and marks (GuestCtl dctl, if any), stops the captures and
    returns the measured record 'r' (measure_run)."""
    time.sleep(post)
    probe.call("stop")
    r["report"] = probe.finish()
    end = time.monotonic()
    if dctl:
        r["syncs"]["dst_end"] = gclock.sync(dctl).doc()
        r["guest_timeline"] = dctl.call("timeline")["uplinks"][0]["timeline"]
        r["marks_end"] = dctl.call("marks")
        r["guest_stats"] = dctl.call("stats")  # drops by cause: where the guest lost
    if cap:
        r["captures"] = cap.stop(end)
    r["host_load"] = [r["host_load"], os.getloadavg()[0]]  # 1-min load, start and end
    (busy0, total0), (busy, total) = r.pop("_cpu0"), _load_cpu()
    r["host_cpu_busy"] = round((busy - busy0) / max(1, total - total0), 3)
    return measure_run(r)


def _new_record(name, rate_pps):
    """Returns a run record with the host's load at the start."""
    return {"scenario": name, "rate_pps": rate_pps, "host_load": os.getloadavg()[0],
            "_cpu0": _load_cpu(), "syncs": {}, "steps": {}}


def run(name, guest_dir, vfprobe, rate_pps=1000, warm=2.0, post=3.0, workdir=None,
        log=print, build=None):
    """Runs scenario 'name' once with vfprobe sending rate_pps (the libvirt
    driver runs build/vfmigrate); returns its record (measure_run())."""
    sc = SCENARIOS[name]
    if sc.driver == "libvirt":
        from . import study_libvirt
        return study_libvirt.run(name, sc, guest_dir, vfprobe, build, rate_pps, warm, post,
                                 workdir)
    r = _new_record(name, rate_pps)
    clock = Clock()
    steps = {}
    with Testbed(guest_dir, [f"e2e.guest={sc.guest}", *sc.args], workdir=workdir) as tb:
        if sc.failover:
            src, dst = qf.start_source(tb), qf.start_destination(tb)
        else:
            src = tb.start_source()
            dst = None if sc.pause_ms else tb.start_destination(with_vf=not sc.unplug)
        # One announcement, at once: later rounds would reach the e1000e
        # plugged in after the migration, which a real VF never sends.
        if dst:
            dst.qmp.cmd("migrate-set-parameters", **{"announce-initial": 1,
                                                     "announce-rounds": 1})
        src.wait_serial(sc.ready, 120)
        if sc.failover:
            try:
                qf.wait_negotiated(src, 5)
            except Exception as e:
                raise RunError(f"the guest did not ack VIRTIO_NET_F_STANDBY: {e}")
        sctl = GuestCtl(src.ctl_path) if sc.ctl else None
        dctl = None  # the destination's channel, once the guest runs there
        cap = Capture(tb, {**PROBE_CAPTURES, **TAP_CAPTURES})
        # Steer "learn": the host follows the guest's RARPs, per side.
        rarp = ({port: RarpWatch(tb, PROBE_CAPTURES[n]) for port, n in
                 ((BACKUP_PORT, "pb"), (VF_PORT, "pv"))} if sc.steer == "learn" else None)
        probe = Probe(tb, vfprobe, str(rate_pps), duration=300, gap_us=10000)
        time.sleep(warm)
        steps["first_step"] = time.monotonic()
        if sc.steer == "follow":
            steps["host_to_backup"] = probe.switch(BACKUP_PORT)
        if sc.prefer:
            res = sctl.call("prefer", member=sc.prefer, timeout=10)
            if not res.get("ok"):
                raise RunError(f"prefer {sc.prefer} refused: {res.get('error')}")
            steps["prefer_" + sc.prefer] = time.monotonic()
        if sc.planned:
            steps["prepare"] = time.monotonic()
            res = sctl.call("prepare", timeout=10)
            if not res.get("ok") and not (res.get("detail") or {}).get("released"):
                raise RunError(f"prepare refused: {res.get('error')}")
            if not res.get("ok"):  # the drain reached its bound, the VF is released
                r.setdefault("warnings", []).append(f"prepare: {res['error']}")
            steps["prepare_acked"] = time.monotonic()
        if sc.cut == "tap":
            steps["cut"] = tb.cut(src.taps["vf"])
            t = rarp[BACKUP_PORT].wait_after(steps["cut"], CUT_TIMEOUT_S)
            if t is None:
                log(f"{name}: no RARP on the backup side within {CUT_TIMEOUT_S} s of the cut")
            else:
                steps["rarp_on_backup"] = t
                steps["host_to_backup"] = probe.switch(BACKUP_PORT)
        if sc.unplug and not sc.failover:
            try:
                steps["device_del"], steps["device_deleted"] = src.vf_unplug(UNPLUG_TIMEOUT_S)
            except Exception as e:
                raise RunError(f"the VF was not released: {e} ({src.name} console: "
                               f"{' | '.join(src.serial().strip().splitlines()[-3:])})")
        if sctl:
            r["threads_src"] = sctl.call("threads")
            r["syncs"]["src"] = gclock.sync(sctl).doc()
            r["guest_timeline_src"] = sctl.call("timeline")["uplinks"][0]["timeline"]
        if sc.pause_ms:
            mig = pause(src, sc.pause_ms / 1e3)
            back = probe.rx_probes()
            steps.update(vm_paused=mig["t_stop"], vm_resumed=mig["t_resume"])
            dst, dctl = src, sctl
        else:
            mig = migrate(src, dst, MIGRATE_PORT, on_active=(
                (lambda: steps.update(host_to_backup=probe.switch(BACKUP_PORT)))
                if sc.steer == "eswitch" else None))
            if sc.steer == "eswitch":  # the destination has its VF plugged in
                steps["host_to_vf"] = probe.switch(VF_PORT)
            back = probe.rx_probes()
            steps.update(migrate=mig["t_migrate"], vm_paused=mig["t_stop"],
                         vm_resumed=mig["t_resume"], migration_completed=mig["t_completed"])
            if sc.failover:
                steps.update(qf.migration_events(src, dst))
            src.qmp.cmd("quit")
            src.proc.wait(10)
            steps["source_quit"] = time.monotonic()
            if sc.ctl:
                dctl = GuestCtl(dst.ctl_path)
        # The guest forwards again (its first probe packet back after the
        # RESUME) before the host plugs the VF in (as vfmigrate asks the
        # guest first): plugged in at the RESUME, the hot-plug work takes
        # the 1-vCPU TCG guest's CPU from the data plane.  VF-only has no
        # other path.
        if not (sc.unplug and sc.steer == "vf"):
            t = _wait_more(probe.rx_probes, back, RESUMED_TIMEOUT_S)
            if t is None:
                log(f"{name}: nothing back within {RESUMED_TIMEOUT_S} s of the migration")
            else:
                steps["forwarding_again"] = t
        if dctl:
            r["threads_dst"] = dctl.call("threads")
            r["syncs"]["dst"] = gclock.sync(dctl).doc()
            r["marks"] = dctl.call("marks")
        if sc.unplug:
            # In failover mode QEMU plugged the VF in already, and its
            # self-announcement went out of it: only replies count there.
            vf_side = ((lambda: probe.rx_probe_ports()[VF_PORT]) if sc.failover
                       else (lambda: probe.rx_ports()[VF_PORT]))
            before = vf_side()
            replug = "primary_plugged" if sc.failover else "device_add"
            if not sc.failover:
                steps["device_add"] = dst.vf_plug()
            if dctl:
                end = time.monotonic() + 30
                while dctl.active() != "vf":
                    if time.monotonic() > end:
                        break
                    time.sleep(ACTIVE_POLL_S)
                else:
                    steps["guest_vf_active"] = time.monotonic()
            # The guest's first frame on the VF side (its announcement or a
            # reply) is what makes a learning switch send there (with a path
            # check, its ARPs come first: then its RARP).
            if rarp:
                t = rarp[VF_PORT].wait_after(steps[replug], 30)
            else:
                t = _wait_more(vf_side, before, 30)
            if t is None:
                log(f"{name}: no traffic back on the VF side within 30 s of {replug}")
            else:
                steps["first_rx_on_vf_side"] = t
                if sc.steer in ("follow", "learn"):
                    steps["host_to_vf"] = probe.switch(VF_PORT)
        r["mig"] = {k: mig[k] for k in ("total_ms", "downtime_ms", "setup_ms", "ram_bytes")}
        r["stop_us"], r["resume_us"] = clock.wall_us(mig["t_stop"]), clock.wall_us(mig["t_resume"])
        r["steps"] = {k: clock.wall_us(v) for k, v in steps.items() if v is not None}
        r["qemu_trace"] = {"src": src.trace_path, "dst": dst.trace_path}
        for w in (rarp or {}).values():
            w.stop()
        return finish(probe, cap, r, dctl, post, clock)


def find_ndr(guest_dir, vfprobe, max_rate, trial_s, res_pct, workdir=None):
    """Boots the vfailover guest (no migration) and runs vfprobe's RFC 2544
    search through it (probe.ndr()) on each path the scenarios use: the VF
    (its active member after boot), then the virtio backup (after `prefer
    backup`, the host sending to the backup side).  Returns {"rate_pps":
    the lower of the two, "vf": the VF path's "ndr" object (rate_pps,
    trials), "backup": the backup path's}."""
    ready, _ = GUESTS["vfailover"]
    with Testbed(guest_dir, ["e2e.guest=vfailover"], workdir=workdir) as tb:
        src = tb.start_source()
        src.wait_serial(ready, 120)
        vf = ndr(tb, vfprobe, VF_PORT, max_rate, trial_s, res_pct)["ndr"]
        ctl = GuestCtl(src.ctl_path)
        res = ctl.call("prefer", member="backup", timeout=10)
        if not res.get("ok"):
            raise RunError(f"prefer backup refused: {res.get('error')}")
        backup = ndr(tb, vfprobe, BACKUP_PORT, max_rate, trial_s, res_pct)["ndr"]
        ctl.close()
        return {"rate_pps": min(vf["rate_pps"], backup["rate_pps"]), "vf": vf, "backup": backup}


def versions():
    """Returns the versions of what the study runs, read from the programs:
    QEMU, DPDK (dpdk-testpmd's EAL banner or pkg-config), the kernel
    (host uname and the guest's package), tcpdump/libpcap, libvirt."""
    def out(cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            return (p.stdout + p.stderr).strip()
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"? ({e})"
    return {
        "qemu": out(["qemu-system-x86_64", "--version"]).splitlines()[0],
        "dpdk": out(["pkg-config", "--modversion", "libdpdk"]),
        "host_kernel": out(["uname", "-srvm"]),
        "tcpdump": " / ".join(out(["tcpdump", "--version"]).splitlines()[:2]),
        "libvirt": out(["virsh", "--version"]),
        "python": out(["python3", "--version"]),
    }
