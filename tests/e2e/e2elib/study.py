# SPDX-License-Identifier: BSD-3-Clause
"""study — one run of one scenario: traffic, VF out, migrate, VF in, measure.

A scenario names the guest program (tests/e2e/guest/guest-NAME), whether
the host warns the guest (`prepare` over the control channel) and how the
host steers its traffic.  A run:

  1. starts the source VM (with the e1000e) and the destination (without,
     -incoming), and vfprobe sending at RATE from the VF-side port;
  2. after WARM s: host-side make-before-break (vfprobe `switch` to the
     backup-side port; not for VF-only, which has no other path), then
     `prepare` to the guest when planned, then QMP device_del and the wait
     for DEVICE_DELETED;
  3. migrate (QMP driver), the source quits as soon as it is complete (as
     libvirt's does), which also makes the host bridge forget it;
  4. once the guest forwards again on its backup path (its first probe
     packet back after the RESUME; at once for VF-only), netdev_add +
     device_add of the e1000e on the destination; the host
     switches its traffic back to the VF-side port when the guest's first
     frame arrives there (its announcement or a reply), as a learning
     switch would;
  5. POST s more traffic, then vfprobe stops and reports.

Scenarios with driver "libvirt" run the same under libvirt and vfmigrate
instead (e2elib/study_libvirt.py), measured by the same measure().

Measures (ms unless named): total migration time and QEMU downtime (from
query-migrate), network downtime (longest gap at the receiver, excluding
the tail after sending stops), packets lost, packets lost outside the VM
pause window (sent from 20 ms before the STOP on the source to the RESUME
on the destination, + 5 ms), time from
device_add to the first packet back on the VF-side port, and the step
timeline (host monotonic times relative to the first step).
"""
import os
import time

from .ctl import GuestCtl
from .migration import migrate
from .probe import BACKUP_PORT, VF_PORT, Probe, ndr
from .testbed import MIGRATE_PORT, Testbed

# Per guest program: the console line that says it forwards, and whether
# it serves the control channel (vfailover's guests do).
GUESTS = {
    "vfailover": (r"^vfailover: forwarding", True),
    "vf-only": (r"^vfailover: forwarding", True),
    "bonding": (r"^e2e: bonding ready", False),
    "dpdk-failsafe": (r"^e2e: testpmd forwarding", False),
    "dpdk-bonding": (r"^e2e: testpmd forwarding", False),
    "vfailover-standby": (r"^vfailover: forwarding", True),
    "net-failover": (r"^e2e: net_failover ready", False),
}


def _scenario(guest, label, planned=False, steer="follow", unplug=True, prefer=None, args=(),
              driver="qmp", arp_responder=False):
    """Returns a scenario: guest program (tests/e2e/guest/guest-NAME) and
    its ready regex and ctl flag (GUESTS), the table label, planned (the
    host sends prepare), steer ("follow": the host sends to the backup
    side before the VF goes and back when the guest answers on the VF side;
    "vf": always the VF side), unplug (False: the e1000e stays and migrates
    with the VM, which only an emulated NIC allows: the baseline of what
    migration alone costs), prefer (a member the guest is told to prefer
    before the migration: "backup" puts the baseline's traffic on the path
    a planned switch uses), args (more e2e.* kernel words), driver ("qmp":
    this module drives QEMU; "libvirt": vfmigrate drives two libvirt
    daemons, e2elib/study_libvirt.py, where steer "hooks" leaves all host
    steering to vfmigrate's hooks; "qemu-failover": QEMU's own failover mode
    unplugs and plugs the VF, e2elib/study_qfail.py), arp_responder (the
    host answers ARP for 198.18.0.1, the probe's address, on both sides:
    a target for the bonding ARP monitor)."""
    ready, ctl = GUESTS[guest]
    return dict(guest=guest, label=label, planned=planned, steer=steer, unplug=unplug,
                prefer=prefer, args=list(args), ready=ready, ctl=ctl, driver=driver,
                arp_responder=arp_responder)


# Linux bonding tuned for this job: the backup slave delivers what it
# receives (all_slaves_active=1: the host steers to it before the VF goes),
# the bond's MAC follows the active slave (fail_over_mac=active, what a VF
# that may not change its MAC needs; both NICs share the MAC here).
BONDING_BEST = ["e2e.all_slaves_active=1", "e2e.fail_over_mac=active"]


SCENARIOS = {
    "migration-only": _scenario("vfailover", "migration only, VF kept (baseline; emulated NIC)",
                                steer="vf", unplug=False),
    "migration-only-backup": _scenario("vfailover", "migration only, on the virtio backup "
                                       "(baseline of the planned path)", unplug=False,
                                       prefer="backup"),
    "vf-only": _scenario("vf-only", "VF only (no fallback)", steer="vf"),
    "bonding": _scenario("bonding", "Linux bonding (active-backup, kernel forwarding)"),
    "dpdk-failsafe": _scenario("dpdk-failsafe", "DPDK fail-safe PMD (testpmd)"),
    "dpdk-failsafe-hotplug": _scenario("dpdk-failsafe", "DPDK fail-safe PMD (testpmd --hot-plug)",
                                       args=["e2e.hotplug=1"]),
    "dpdk-bonding": _scenario("dpdk-bonding", "DPDK bonding PMD (testpmd, mode 1 active-backup)"),
    "dpdk-bonding-hotplug": _scenario("dpdk-bonding", "DPDK bonding PMD (testpmd --hot-plug, "
                                      "mode 1)", args=["e2e.hotplug=1"]),
    "vfailover-unplanned": _scenario("vfailover", "vfailover, unplanned"),
    "vfailover-planned": _scenario("vfailover", "vfailover, planned", planned=True),
    "vfailover-planned-libvirt": _scenario("vfailover", "vfailover, planned (libvirt + vfmigrate)",
                                           planned=True, driver="libvirt"),
    "vfailover-planned-libvirt-hooks": _scenario(
        "vfailover", "vfailover, planned (libvirt + vfmigrate, host steered by its hooks only)",
        planned=True, steer="hooks", driver="libvirt"),
    "bonding-best": _scenario("bonding", "Linux bonding at its best (active-backup, "
                              "all_slaves_active=1, fail_over_mac=active, MII 10 ms)",
                              args=BONDING_BEST),
    "bonding-best-arp": _scenario("bonding", "Linux bonding, ARP monitor (active-backup, "
                                  "all_slaves_active=1, fail_over_mac=active, ARP 10 ms)",
                                  args=BONDING_BEST + ["e2e.arp_interval=10"],
                                  arp_responder=True),
    "net-failover": _scenario("net-failover", "Linux net_failover (QEMU failover mode, "
                              "kernel forwarding)", driver="qemu-failover"),
    "vfailover-standby": _scenario("vfailover-standby", "vfailover in QEMU failover mode, "
                                   "unplanned", driver="qemu-failover"),
    "vfailover-standby-prepare": _scenario("vfailover-standby", "vfailover in QEMU failover "
                                           "mode, prepare when migrating", planned=True,
                                           driver="qemu-failover"),
}


# How long the guest may take to release the VF after device_del (a
# hypervisor would wait forever; QEMU logs the guest's answers).
UNPLUG_TIMEOUT_S = 10

# How long the host waits, after the migration, for the guest to forward
# again on its backup path before it plugs the VF in anyway.
RESUMED_TIMEOUT_S = 5

# How often the host asks the guest whether TX is back on the VF (each ask
# costs the 1-vCPU guest's control thread a status reply).
ACTIVE_POLL_S = 0.02

# Packets sent this long before the VM's STOP may still be in flight when
# it stops (host queues, the guest's rings; TCG latencies reach tens of ms):
# lost, they count as lost in the pause.  After the RESUME, until QEMU's
# self-announcement (announce-initial, 1 ms, then the bridge) moves the
# guest's MAC to the destination's tap, the host's packets still go to the
# stopped source: a 5 ms margin (2.5 ms seen).
PAUSE_LEAD_US = 20000
PAUSE_TAIL_US = 5000


class RunError(Exception):
    """A step of a run failed."""


def _wall_us(mono):
    """Returns the CLOCK_REALTIME µs of monotonic time 'mono' (s)."""
    return (mono + (time.time() - time.monotonic())) * 1e6


def _first_rx_after(report, port, t_rel_us):
    """Returns the report-relative µs of the first 1 ms bin at or after
    t_rel_us in which 'port' received something, or None."""
    tl = report.get("timeline", {})
    ports = tl.get("ports", [])
    if port not in ports:
        return None
    bins = tl["rx_pkts"][ports.index(port)]
    bin_us = tl.get("bin_ms", 1) * 1000
    for i in range(max(0, int(t_rel_us // bin_us)), len(bins)):
        if bins[i]:
            return i * bin_us
    return None


def _send_us(report, rate_pps):
    """Returns a function: sequence number -> report-relative µs at which the
    constant-rate generator sent it (from its "tx start" event)."""
    start = next((e["t_us"] for e in report.get("events", [])
                  if e.get("text", "").startswith("tx start")), 0)
    return lambda seq: start + seq * 1e6 / rate_pps


def measure(report, steps, mig, rate_pps, lead_us=PAUSE_LEAD_US, reattach="device_add"):
    """Returns the run's figures from the vfprobe report, the step times
    (monotonic s; steps[reattach]: when the VF was plugged in again), the
    migration result (t_stop, t_resume: monotonic s; total_ms,
    downtime_ms) and the probe's rate."""
    t0 = report["t0_us"]

    def rel(mono):
        return None if mono is None else _wall_us(mono) - t0

    gaps = [g for g in report.get("gaps", []) if g.get("kind") != "tail"]
    longest = max(gaps, key=lambda g: g["duration_us"], default=None)
    p0, p1 = rel(mig["t_stop"]), rel(mig["t_resume"])
    sent_at = _send_us(report, rate_pps)
    # A lost packet belongs to the pause if it was sent while the VM was
    # paused, or up to lead_us before (it was still on its way in the
    # host's queues and the TCG guest's rings when the VM stopped).
    outside = sum(1 for g in gaps if g.get("missing", 0) > 0
                  for q in range(g["first_seq"], g["last_seq"] + 1)
                  if not p0 - lead_us <= sent_at(q) <= p1 + PAUSE_TAIL_US)
    first_vf = (_first_rx_after(report, VF_PORT, rel(steps[reattach]))
                if reattach in steps else None)
    base = steps["first_step"]
    return {
        "total_ms": mig["total_ms"],
        "downtime_ms": mig["downtime_ms"],
        "network_downtime_ms": longest["duration_us"] / 1e3 if longest else 0.0,
        "longest_gap": longest,
        "sent": report.get("tx", {}).get("sent"),
        "received": report["totals"]["received"],
        "lost": report["totals"]["lost"],
        "lost_outside_pause": outside,
        "pause_window_us": [p0, p1],
        "pause_ms": (p1 - p0) / 1e3,
        "reattach_to_first_vf_ms": (None if first_vf is None else
                                    (first_vf - rel(steps[reattach])) / 1e3),
        "timeline_ms": {k: round((v - base) * 1e3, 2) for k, v in sorted(
            steps.items(), key=lambda kv: kv[1]) if v is not None and k != "first_step"},
        "timeline_probe_us": {k: round(rel(v)) for k, v in steps.items()
                              if v is not None and k != "first_step"},
    }


def _wait_more(count, since, timeout):
    """Polls count() (a vfprobe counter) until it exceeds 'since'; returns
    the monotonic time, or None after 'timeout' s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if count() > since:
            return time.monotonic()
        time.sleep(0.005)
    return None


def finish(probe, name, steps, mig, rate_pps, load, dctl, post, reattach="device_add"):
    """Lets 'post' s more traffic flow, stops vfprobe and returns the run's
    figures (measure()) with the scenario name, the host load ('load' at the
    start, now), the guest's timeline (from GuestCtl dctl, if any) and
    vfprobe's report."""
    time.sleep(post)
    probe.call("stop")
    report = probe.finish()
    res = measure(report, steps, mig, rate_pps, reattach=reattach)
    res["scenario"] = name
    res["host_load"] = [load, os.getloadavg()[0]]  # 1-min load, start and end
    if dctl:
        res["guest_timeline"] = dctl.call("timeline")["uplinks"][0]["timeline"]
    res["report"] = report
    return res


def run(name, guest_dir, vfprobe, rate_pps=1000, warm=2.0, post=3.0, workdir=None,
        log=print, build=None):
    """Runs scenario 'name' once with vfprobe sending rate_pps (the libvirt
    driver runs build/vfmigrate); returns its figures (see measure())."""
    sc = SCENARIOS[name]
    load = os.getloadavg()[0]
    if sc["driver"] == "libvirt":
        from . import study_libvirt
        return study_libvirt.run(name, sc, guest_dir, vfprobe, build, rate_pps, warm, post,
                                 workdir, load)
    if sc["driver"] == "qemu-failover":
        from . import study_qfail
        return study_qfail.run(name, sc, guest_dir, vfprobe, rate_pps, warm, post, workdir,
                               load, log)
    with Testbed(guest_dir, [f"e2e.guest={sc['guest']}"] + sc["args"],
                 workdir=workdir) as tb:
        if sc["arp_responder"]:
            for br in ("brv", "brb"):
                tb.net.ip("addr", "add", "198.18.0.1/16", "dev", br)
        src = tb.start_source()
        dst = tb.start_destination(with_vf=not sc["unplug"])
        # One announcement, at once: later rounds would reach the e1000e
        # plugged in after the migration, which a real VF never sends.
        dst.qmp.cmd("migrate-set-parameters", **{"announce-initial": 1,
                                                 "announce-rounds": 1})
        src.wait_serial(sc["ready"], 120)
        sctl = GuestCtl(src.ctl_path) if sc["ctl"] else None
        dctl = None  # the destination's channel, once the guest runs there
        probe = Probe(tb, vfprobe, str(rate_pps), duration=300, gap_us=10000)
        time.sleep(warm)
        steps = {}
        steps["first_step"] = time.monotonic()
        unplug = sc["unplug"]
        if sc["steer"] == "follow":
            steps["host_to_backup"] = probe.switch(BACKUP_PORT)
        if sc["prefer"]:
            r = sctl.call("prefer", member=sc["prefer"], timeout=10)
            if not r.get("ok"):
                raise RunError(f"prefer {sc['prefer']} refused: {r.get('error')}")
            steps["prefer_" + sc["prefer"]] = time.monotonic()
        if sc["planned"]:
            steps["prepare"] = time.monotonic()
            r = sctl.call("prepare", timeout=10)
            if not r.get("ok"):
                raise RunError(f"prepare refused: {r.get('error')}")
            steps["prepare_acked"] = time.monotonic()
        if unplug:
            try:
                steps["device_del"], steps["device_deleted"] = src.vf_unplug(UNPLUG_TIMEOUT_S)
            except Exception as e:
                raise RunError(f"the VF was not released: {e} ({src.name} console: "
                               f"{' | '.join(src.serial().strip().splitlines()[-3:])})")
        mig = migrate(src, dst, MIGRATE_PORT)
        back = probe.rx_probes()  # the guest runs again (RESUME seen)
        steps.update(migrate=mig["t_migrate"], vm_paused=mig["t_stop"],
                     vm_resumed=mig["t_resume"], migration_completed=mig["t_completed"])
        src.qmp.cmd("quit")
        src.proc.wait(10)
        steps["source_quit"] = time.monotonic()
        if sc["ctl"]:
            dctl = GuestCtl(dst.ctl_path)
        if unplug:
            # The VF goes in once the guest forwards again on its backup
            # path (as vfmigrate asks the guest before it attaches):
            # plugged in at the resume, the hot-plug work takes the 1-vCPU
            # TCG guest's CPU from the data plane (measured: the gap grows
            # by ~35 ms, median of 7 runs).  VF-only has no other path.
            if sc["steer"] == "follow":
                t = _wait_more(probe.rx_probes, back, RESUMED_TIMEOUT_S)
                if t is None:
                    log(f"{name}: nothing back on the backup side within "
                        f"{RESUMED_TIMEOUT_S} s of the migration; plugging the VF in")
                else:
                    steps["backup_forwarding"] = t
            before = probe.rx_ports()[VF_PORT]
            steps["device_add"] = dst.vf_plug()
            follow_vf_back(name, sc, probe, dctl, steps, before, log)
        return finish(probe, name, steps, mig, rate_pps, load, dctl, post)


def follow_vf_back(name, sc, probe, dctl, steps, before, log, timeout=30, count=None):
    """After the VF was plugged in on the destination: waits (up to
    'timeout' s each) for the guest's TX to be back on it (GuestCtl dctl, if
    any: steps["guest_vf_active"]) and for its first frame on the VF side
    (count(), default the probe's VF-side frames, above 'before':
    steps["first_rx_on_vf_side"]), which is what makes a learning switch
    send there: with steer "follow" the host's traffic then goes back to the
    VF side (steps["host_to_vf"])."""
    if dctl:
        end = time.monotonic() + timeout
        while dctl.active() != "vf":
            if time.monotonic() > end:
                break
            time.sleep(ACTIVE_POLL_S)
        else:
            steps["guest_vf_active"] = time.monotonic()
    t = _wait_more(count or (lambda: probe.rx_ports()[VF_PORT]), before, timeout)
    if t is None:
        log(f"{name}: no traffic back on the VF side within {timeout} s of the re-plug")
    else:
        steps["first_rx_on_vf_side"] = t
        if sc["steer"] == "follow":
            steps["host_to_vf"] = probe.switch(VF_PORT)


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
        r = ctl.call("prefer", member="backup", timeout=10)
        if not r.get("ok"):
            raise RunError(f"prefer backup refused: {r.get('error')}")
        backup = ndr(tb, vfprobe, BACKUP_PORT, max_rate, trial_s, res_pct)["ndr"]
        ctl.close()
        return {"rate_pps": min(vf["rate_pps"], backup["rate_pps"]), "vf": vf, "backup": backup}
