# SPDX-License-Identifier: BSD-3-Clause
"""study_libvirt — the study's libvirt driver: vfmigrate between two
libvirt daemons (scripts/libvirt-pair) while vfprobe measures.

Layout (LibvirtBed): libvirt-pair's daemons share the machine's network
namespace, so the guest's taps are on its bridges there; vfprobe runs in
the study's namespace e2e<pid> on veths whose peers are on those bridges:

    probe port 0: pv (namespace) --- e2epv<pid> on vfmbr-vf --- the e1000e's tap
    probe port 1: pb (namespace) --- e2epb<pid> on vfmbr-bk --- the virtio-net's tap

A run: the guest boots as a domain on host a; vfprobe sends from the VF
side; after WARM s the host moves its sending to the backup side (steer
"follow"; with "hooks" it leaves that to vfmigrate's hook) and runs
build/vfmigrate a -> b: preflight, guest check, reserve a VF on b, steer to
backup (hook), prepare, detach + DEVICE_REMOVED, migrate (--live --p2p), attach on b,
guest on its VF, steer to VF (hook: vfprobe's sending back to the VF
side).  The hook logs the wall time it ran, which places vfmigrate's
timeline (CLOCK_MONOTONIC ms since its start) on the host's clock to a
few ms (the earlier of the two hook-vs-step offsets).  The pause window is
QEMU's own: the STOP event of the source's QEMU and the RESUME of the
destination's, with QEMU's timestamps, read through libvirt (virsh
qemu-monitor-event on each daemon).  Total migration and downtime are
libvirt's completed-job statistics (time_elapsed, downtime) from
vfmigrate's report.
"""
import json
import os
import re
import signal
import subprocess
import time

from . import gclock, study
from .capture import Capture
from .ctl import GuestCtl
from vfolib.libvirt_pair import BACKUP_BRIDGE, SRC, VF_BRIDGE, Pair, dest_xml, domain_xml, virsh, \
    vfmigrate_argv
from .probe import BACKUP_PORT, Probe
from .study import RunError
from .testbed import GUEST_MAC, PROBE_MAC, Testbed

DOMAIN = "e2eguest"
# As the QMP driver sets on its destination: one self-announcement, 1 ms
# after the RESUME (QEMU's default, 5 rounds from 50 ms, would leave the
# host sending to the stopped source for 50 ms more, and later rounds would
# go out of the VF attached afterwards, which a real VF never sends).
ANNOUNCE = ["-global", "migration.announce-initial=1", "-global", "migration.announce-rounds=1"]
VFMIGRATE_TIMEOUT_S = 180

# vfmigrate's steering hook, both directions (sh -c 'sh FILE'): logs
# "STEER WALLTIME" and moves vfprobe's sending (no port: log only).
HOOK = """echo "$VFM_STEER $(date +%s.%N)" >>{log}
case "$VFM_STEER" in
vf) port=0 ;;
*) port={backup_port} ;;
esac
[ -n "$port" ] || exit 0
for i in 1 2 3; do
	{vfoctl} --timeout 5 {ctl} switch port=$port >/dev/null && exit 0
done
exit 1
"""


class LibvirtBed(Testbed):
    """A Testbed whose guest runs under libvirt-pair's daemons (state in
    workdir/pair), started on entry and stopped on exit, also on failure."""

    def wire(self):
        """Starts the pair and puts vfprobe's veths on its bridges."""
        self.pair = Pair(self.path("pair"))  # the two daemons
        self.pair.start()
        for end, bridge in (("pv", VF_BRIDGE), ("pb", BACKUP_BRIDGE)):
            self.net.veth_root(end, f"e2e{end}{os.getpid()}", bridge, PROBE_MAC)

    def __exit__(self, *exc):
        if getattr(self, "pair", None):
            self.pair.stop()
        return super().__exit__(*exc)


def _wait_console(path, pattern, timeout):
    """Waits until regex 'pattern' appears in the console file 'path';
    RunError after 'timeout' s."""
    end = time.monotonic() + timeout
    while True:
        try:
            with open(path, errors="replace") as f:
                if re.search(pattern, f.read(), re.M):
                    return
        except OSError:
            pass
        if time.monotonic() > end:
            raise RunError(f"no /{pattern}/ on the guest's console {path} within {timeout} s")
        time.sleep(0.1)


def _qemu_events(path):
    """Returns [(event name, QEMU's wall time s)] from a virsh
    qemu-monitor-event log."""
    with open(path, errors="replace") as f:
        return [(m[1], float(m[2])) for m in
                re.finditer(r"event (\w+) at (\d+\.\d+) for domain", f.read())]


def _event(events, name, path):
    """Returns the time of the last event 'name', RunError if none."""
    ts = [t for n, t in events if n == name]
    if not ts:
        raise RunError(f"no QEMU {name} event in {path}")
    return ts[-1]


def _stop_watch(p):
    """Ends a virsh qemu-monitor-event --loop (SIGINT: it flushes its
    output and exits)."""
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _vfmigrate(tb, build, uris, hook):
    """Runs vfmigrate a -> b of DOMAIN; returns its domain report.  Raises
    RunError unless it exits 0."""
    report = tb.path("vfmigrate.json")
    dest = dest_xml(uris, tb.workdir, "a", "b", [DOMAIN])
    p = tb.popen(vfmigrate_argv(build, uris, "a", "b", dest, report, f"sh {hook}", [DOMAIN],
                                ("--lock-dir", tb.path("locks"))),
                 "vfmigrate.log")
    try:
        p.wait(VFMIGRATE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RunError(f"vfmigrate did not finish within {VFMIGRATE_TIMEOUT_S} s")
    try:
        with open(report) as f:
            dom = json.load(f)["domains"][0]
    except (OSError, ValueError, IndexError, KeyError) as e:
        raise RunError(f"vfmigrate exited {p.returncode} without a report: {e}")
    if p.returncode != 0:
        raise RunError(f"vfmigrate exited {p.returncode}: {dom.get('outcome')}: "
                       f"{dom.get('error')}")
    return dom


# Step ends of vfmigrate's timeline worth a mark, named as the QMP driver's.
ENDS = {"detach": "device_deleted", "migrate": "migration_completed",
        "guest_vf": "guest_vf_active"}


def _place(dom, hook_log, wall_minus_mono):
    """Returns the monotonic time (s) of each step's start (by step name)
    and of the ends in ENDS in vfmigrate's timeline 'dom', placed by the
    wall times its steering hooks logged in 'hook_log'."""
    start = {s["step"]: s["start_ms"] / 1e3 for s in dom["timeline"]}
    with open(hook_log) as f:
        ran = dict(line.split() for line in f if line.strip())
    offs = [float(ran[steer]) - start[step] for steer, step in
            (("backup", "steer_backup"), ("vf", "steer_vf")) if steer in ran and step in start]
    if not offs:
        raise RunError(f"the steering hooks left no times in {hook_log}")
    off = min(offs) - wall_minus_mono  # vfmigrate's t0 in host monotonic s
    steps = {}
    for s in dom["timeline"]:
        steps[s["step"]] = off + s["start_ms"] / 1e3
        if s["step"] in ENDS:
            steps[ENDS[s["step"]]] = off + s["end_ms"] / 1e3
    return steps


def run(name, sc, guest_dir, vfprobe, build, rate_pps, warm, post, workdir):
    """Runs libvirt scenario 'name' (scenarios.Scenario sc) once: see the
    module comment; returns its record (study.measure_run())."""
    if not build or not os.access(os.path.join(build, "vfmigrate"), os.X_OK):
        raise RunError(f"{build}/vfmigrate missing: build it (ninja -C {build})")
    # libvirt's QEMU and vfmigrate's hooks do not run in this directory.
    build, guest_dir = os.path.abspath(build), os.path.abspath(guest_dir)
    workdir = workdir and os.path.abspath(workdir)
    r = study._new_record(name, rate_pps)
    clock = study.Clock()
    with LibvirtBed(guest_dir, [], workdir=workdir) as tb:
        uris = tb.pair.uris
        xml = tb.path(f"{DOMAIN}.xml")
        with open(xml, "w") as f:
            f.write(domain_xml(guest_dir, tb.workdir, "a", DOMAIN, GUEST_MAC,
                               [f"e2e.guest={sc.guest}", *sc.args], ANNOUNCE))
        virsh(uris["a"], "create", xml)
        _wait_console(tb.path(f"{DOMAIN}.a.serial"), sc.ready, 120)
        watch = {h: tb.popen(["virsh", "-c", uris[h], "qemu-monitor-event", "--loop"],
                             f"events.{h}.log") for h in ("a", "b")}
        # The probe veths' peers are on libvirt-pair's bridges, in this
        # namespace: the host side of both paths.
        cap = Capture(tb, {n: f"e2e{end}{os.getpid()}" for n, end in
                           (("pv", "pv"), ("pb", "pb"))}, netns=False)
        probe = Probe(tb, vfprobe, str(rate_pps), duration=300, gap_us=10000)
        hook_log = tb.path("hooks.log")
        hook = tb.path("hook.sh")
        with open(hook, "w") as f:
            f.write(HOOK.format(log=hook_log, ctl=probe.ctl_path,
                                vfoctl=os.path.join(SRC, "scripts", "vfo-ctl"),
                                backup_port=BACKUP_PORT if sc.steer == "hooks" else ""))
        time.sleep(warm)
        steps = {"first_step": time.monotonic()}
        if sc.steer == "follow":
            steps["host_to_backup"] = probe.switch(BACKUP_PORT)
        # The guest's clock on the source, then the channel is vfmigrate's.
        sctl = GuestCtl(tb.path(f"{DOMAIN}.a.chan"))
        r["syncs"]["src"] = gclock.sync(sctl).doc()
        sctl.close()
        dom = _vfmigrate(tb, build, uris, hook)
        for p in watch.values():
            _stop_watch(p)
        wall_minus_mono = time.time() - time.monotonic()
        steps.update(_place(dom, hook_log, wall_minus_mono))
        src_ev = _qemu_events(tb.path("events.a.log"))
        dst_ev = _qemu_events(tb.path("events.b.log"))
        job = next(s for s in dom["timeline"] if s["step"] == "migrate")["detail"]["job_stats"]
        stop = _event(src_ev, "STOP", "events.a.log")
        resume = _event(dst_ev, "RESUME", "events.b.log")
        r["mig"] = {"total_ms": job.get("time_elapsed"), "downtime_ms": job.get("downtime")}
        r["stop_us"], r["resume_us"] = stop * 1e6, resume * 1e6
        dctl = GuestCtl(tb.path(f"{DOMAIN}.b.chan"))
        r["syncs"]["dst"] = gclock.sync(dctl).doc()
        r["marks"] = dctl.call("marks")
        r["steps"] = {k: clock.wall_us(v) for k, v in steps.items() if v is not None}
        r["vfmigrate"] = {"total_ms": dom.get("total_ms"), "job_stats": job,
                          "timeline": dom["timeline"]}
        res = study.finish(probe, cap, r, dctl, post, clock)
        dctl.close()
        return res
