# SPDX-License-Identifier: BSD-3-Clause
"""migration — the QMP driver: live migration between two local QEMUs.

    r = migrate(src, dst, port)
    r = pause(vm, 0.1)                  # stop/cont in place, for comparison

Sets the "events" capability on both ends, sends `migrate` to the source,
polls `query-migrate` every 5 ms until it completes, and returns the
hypervisor's own figures (total time, downtime, setup time, RAM
transferred) with the host's monotonic times of the steps: the command,
the source's STOP event (the VM pauses) and the destination's RESUME event
(it runs again), QEMU's timestamps converted to the monotonic clock.
"""
import time

from .qmp import Qmp, QmpError


def event_mono(ev):
    """Returns the monotonic time of a QMP event (QEMU stamps wall time)."""
    return Qmp.event_time(ev) - (time.time() - time.monotonic())


def migrate(src, dst, port, timeout=120, on_active=None):
    """Migrates Vm src to Vm dst (started with -incoming on 'port'); returns
    a dict: t_migrate, t_stop, t_resume, t_completed (monotonic s),
    total_ms, downtime_ms, setup_ms, ram_bytes, status.  Calls on_active()
    once, when the source first reports the migration "active" (in QEMU's
    failover mode: the guest has ejected the primary, wait-unplug is over),
    within one 5 ms poll.  Raises QmpError if the migration fails or does
    not complete in 'timeout' s."""
    for vm in (src, dst):
        vm.qmp.cmd("migrate-set-capabilities",
                   capabilities=[{"capability": "events", "state": True}])
    t_migrate = time.monotonic()
    src.qmp.cmd("migrate", uri=f"tcp:127.0.0.1:{port}")
    end = t_migrate + timeout
    while True:
        info = src.qmp.cmd("query-migrate")
        status = info.get("status")
        if on_active and status in ("active", "device", "completed"):
            on_active()
            on_active = None
        # QEMU sets "completed" a moment before it fills in the times.
        if status == "completed" and info.get("total-time"):
            break
        if status in ("failed", "cancelled"):
            raise QmpError(f"migration {status}: {info.get('error-desc', '')}")
        if time.monotonic() > end:
            raise QmpError(f"migration not completed within {timeout} s (status {status})")
        time.sleep(0.005)
    t_completed = time.monotonic()
    stop = src.qmp.wait_event("STOP", 5)
    resume = dst.qmp.wait_event("RESUME", 30)
    ram = info.get("ram", {})
    return {
        "t_migrate": t_migrate,
        "t_stop": event_mono(stop),
        "t_resume": event_mono(resume),
        "t_completed": t_completed,
        "total_ms": info.get("total-time"),
        "downtime_ms": info.get("downtime"),
        "setup_ms": info.get("setup-time"),
        "ram_bytes": ram.get("transferred"),
        "status": status,
        "query_migrate": info,
    }


def pause(vm, pause_s):
    """Pauses Vm 'vm' in place (QMP stop, pause_s s, cont): a migration's
    pause without the move (QEMU keeps its translated code and the VM its
    NICs' backends).  Returns the dict migrate() returns (t_stop, t_resume
    from the STOP and RESUME events; no migration figures)."""
    t0 = time.monotonic()
    vm.qmp.cmd("stop")
    stop = vm.qmp.wait_event("STOP", 5)
    time.sleep(pause_s)
    vm.qmp.cmd("cont")
    resume = vm.qmp.wait_event("RESUME", 5)
    return {"t_migrate": t0, "t_stop": event_mono(stop), "t_resume": event_mono(resume),
            "t_completed": time.monotonic(), "total_ms": None, "downtime_ms": None,
            "setup_ms": None, "ram_bytes": None, "status": "paused in place"}
