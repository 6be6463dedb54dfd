# SPDX-License-Identifier: BSD-3-Clause
"""study_qfail — the study's driver for QEMU's own failover mode
(scenarios with driver "qemu-failover"): nobody unplugs or plugs the VF but
QEMU, the host only migrates with plain QMP `migrate`.

A run (e2elib/qemu_failover.py sets up the pair of VMs):

  1. the source boots; the guest acks VIRTIO_NET_F_STANDBY and QEMU plugs
     the e1000e in (FAILOVER_NEGOTIATED); once the guest forwards, vfprobe
     sends at RATE from the VF-side port;
  2. after WARM s: the host moves its sending to the backup side (steer
     "follow", as in the QMP driver: make-before-break), then, for a planned
     scenario, `prepare` over the control channel (the migration has been
     requested: the guest leaves the VF before QEMU asks it to);
  3. `migrate`: QEMU asks the guest to unplug the primary (UNPLUG_PRIMARY),
     waits in "wait-unplug" until the guest ejects it, migrates, and the
     destination plugs the primary in while loading the guest's virtio-net
     state (FAILOVER_NEGOTIATED on the destination); the source quits;
  4. the guest takes the re-plugged VF by itself; the host sends to the VF
     side again once the guest's first frame arrives there;
  5. POST s more traffic, then vfprobe stops and reports.

Measured as the QMP driver's runs (study.measure()); "re-attach" is the
destination's FAILOVER_NEGOTIATED (QEMU plugged the primary), and the
timeline adds unplug_primary (the request), unplug_done (wait-unplug over:
the guest ejected it) and primary_plugged.
"""
import time

from . import qemu_failover as qf
from .ctl import GuestCtl
from .migration import event_mono, migrate
from .probe import BACKUP_PORT, VF_PORT, Probe
from .study import RunError, finish, follow_vf_back
from .testbed import MIGRATE_PORT, Testbed

# How long the guest may take to ack STANDBY after boot (its kernel loads
# virtio_net from the initramfs).
NEGOTIATE_TIMEOUT_S = 120


def _event(vm, name, data=None):
    """Returns the monotonic time of the queued QMP event 'name' of 'vm'
    whose data holds 'data' (taken from the queue), or None."""
    for i, ev in enumerate(vm.qmp.events):
        if ev["event"] == name and all(ev.get("data", {}).get(k) == v
                                       for k, v in (data or {}).items()):
            return event_mono(vm.qmp.events.pop(i))
    return None


def run(name, sc, guest_dir, vfprobe, rate_pps, warm, post, workdir, load, log):
    """Runs failover-mode scenario 'name' (its SCENARIOS entry 'sc') once;
    returns its figures (see study.measure())."""
    with Testbed(guest_dir, [f"e2e.guest={sc['guest']}"] + sc["args"],
                 workdir=workdir) as tb:
        src = qf.start_source(tb)
        dst = qf.start_destination(tb)
        dst.qmp.cmd("migrate-set-parameters", **{"announce-initial": 1,
                                                 "announce-rounds": 1})
        try:
            qf.wait_negotiated(src, NEGOTIATE_TIMEOUT_S)
        except Exception as e:
            raise RunError(f"the guest did not ack STANDBY: {e}")
        src.wait_serial(sc["ready"], 120)
        sctl = GuestCtl(src.ctl_path) if sc["ctl"] else None
        probe = Probe(tb, vfprobe, str(rate_pps), duration=300, gap_us=10000)
        time.sleep(warm)
        steps = {"first_step": time.monotonic()}
        if sc["steer"] == "follow":
            steps["host_to_backup"] = probe.switch(BACKUP_PORT)
        if sc["planned"]:
            steps["prepare"] = time.monotonic()
            r = sctl.call("prepare", timeout=10)
            if not r.get("ok"):
                raise RunError(f"prepare refused: {r.get('error')}")
            steps["prepare_acked"] = time.monotonic()
        mig = migrate(src, dst, MIGRATE_PORT)
        steps.update(migrate=mig["t_migrate"], vm_paused=mig["t_stop"],
                     vm_resumed=mig["t_resume"], migration_completed=mig["t_completed"],
                     unplug_primary=_event(src, "UNPLUG_PRIMARY", {"device-id": "vf"}),
                     unplug_done=_event(src, "MIGRATION", {"status": "active"}),
                     primary_plugged=_event(dst, "FAILOVER_NEGOTIATED",
                                            {"device-id": qf.STANDBY_ID}))
        if steps["primary_plugged"] is None:
            raise RunError("the destination did not plug the primary in "
                           "(no FAILOVER_NEGOTIATED)")
        # QEMU's self-announcement after the RESUME goes out of every
        # emulated NIC, the primary it has just plugged in included, which a
        # real VF never does: only the guest's replies on the VF side count.
        vf_replies = lambda: probe.rx_probe_ports()[VF_PORT]  # noqa: E731
        before = vf_replies()
        src.qmp.cmd("quit")
        src.proc.wait(10)
        steps["source_quit"] = time.monotonic()
        dctl = GuestCtl(dst.ctl_path) if sc["ctl"] else None
        follow_vf_back(name, sc, probe, dctl, steps, before, log, count=vf_replies)
        res = finish(probe, name, steps, mig, rate_pps, load, dctl, post,
                     reattach="primary_plugged")
        res["wait_unplug_ms"] = (None if steps["unplug_done"] is None else
                                 round((steps["unplug_done"] - steps["unplug_primary"]) * 1e3,
                                       1))
        return res
