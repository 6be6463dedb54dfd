# SPDX-License-Identifier: BSD-3-Clause
"""qemu_failover — the study's VMs in QEMU's own failover mode.

    src = start_source(tb)          # failover=on virtio-net + hidden e1000e
    dst = start_destination(tb)     # the same machine, -incoming
    ev = wait_negotiated(src, 120)  # the guest acked VIRTIO_NET_F_STANDBY

The machine is the testbed's (e2elib/vm.py) with the virtio-net made a
failover standby (`failover=on`, its id "bk") and the e1000e (the VF stand-in,
on pcie-root-port rp1) its primary (`failover_pair_id=bk`), on the command
line of both the source and the destination.  QEMU keeps the primary hidden
until the guest acks VIRTIO_NET_F_STANDBY (QMP event FAILOVER_NEGOTIATED),
asks the guest to unplug it when a migration starts (event UNPLUG_PRIMARY;
migration state "wait-unplug" until the guest ejects it) and plugs it in on
the destination by itself while loading the virtio-net state.  Nobody does
device_del or device_add.

The e1000e has no option ROM (romfile=""), as the primary in QEMU's own
failover test: the source keeps the unplugged primary realized (to plug it
back if the migration fails), and its ROM must not be migrated.
"""
from .migration import event_mono
from .qmp import QmpError
from .testbed import GUEST_MAC, MIGRATE_PORT
from .vm import VF_BUS, Vm

STANDBY_ID = "bk"  # the virtio-net's id in vm.py, named by failover_pair_id


def _extra(taps, mac):
    """Returns the QEMU arguments that make the testbed's machine a failover
    pair: every virtio-net-pci a standby, the e1000e its primary."""
    return ["-global", "virtio-net-pci.failover=on",
            "-netdev", f"tap,id=nvf,ifname={taps['vf']},script=no,downscript=no",
            "-device", f"e1000e,id=vf,netdev=nvf,bus={VF_BUS},mac={mac},romfile=,"
                       f"failover_pair_id={STANDBY_ID}"]


def _start(tb, name, taps, incoming_port=None):
    """Starts failover-mode VM 'name' in Testbed tb and returns it."""
    vm = Vm(tb.net, tb.workdir, name, tb.guest_dir, tb.append(), GUEST_MAC, taps,
            with_vf=False, incoming_port=incoming_port, extra=_extra(taps, GUEST_MAC))
    tb.vms.append(vm)
    return vm


def start_source(tb):
    """Starts the source VM (its primary hidden until the guest acks
    STANDBY) and returns it."""
    return _start(tb, "src", {"vf": "sv", "backup": "sb"})


def start_destination(tb):
    """Starts the destination VM (-incoming; QEMU plugs its primary in while
    loading the guest's virtio-net state) and returns it."""
    return _start(tb, "dst", {"vf": "dv", "backup": "db"}, incoming_port=MIGRATE_PORT)


def wait_negotiated(vm, timeout):
    """Returns the FAILOVER_NEGOTIATED event of 'vm' (the guest acked
    STANDBY, QEMU plugs the primary in); raises QmpError on timeout."""
    return vm.qmp.wait_event("FAILOVER_NEGOTIATED", timeout, {"device-id": STANDBY_ID})


def _take(vm, name, data):
    """Returns the monotonic time of the queued QMP event 'name' of 'vm'
    whose data holds 'data' (taken from the queue), or None."""
    for i, ev in enumerate(vm.qmp.events):
        if ev["event"] == name and all(ev.get("data", {}).get(k) == v for k, v in data.items()):
            return event_mono(vm.qmp.events.pop(i))
    return None


def migration_events(src, dst):
    """After a migration of the pair: returns the monotonic times of QEMU's
    failover steps, {"unplug_primary": the source asked the guest to unplug
    the VF, "unplug_done": its wait-unplug state ended (the guest ejected
    it), "primary_plugged": the destination plugged the VF in}.  Raises
    QmpError when the destination did not plug it in."""
    out = {"unplug_primary": _take(src, "UNPLUG_PRIMARY", {"device-id": "vf"}),
           "unplug_done": _take(src, "MIGRATION", {"status": "active"}),
           "primary_plugged": _take(dst, "FAILOVER_NEGOTIATED", {"device-id": STANDBY_ID})}
    if out["primary_plugged"] is None:
        raise QmpError("the destination did not plug the primary in (no FAILOVER_NEGOTIATED)")
    return out
