# SPDX-License-Identifier: BSD-3-Clause
"""guests — N guests on one host: a testbed with one VM, one vfprobe and one
pair of probe ports per guest, vCPU pinning, and one guest's planned
migration while the others run.

    with GuestsTestbed(guest_dir, 3, ["e2e.vfoargs=--idle-yield,interrupt"]) as tb:
        vms = tb.start_guests()                  # boots all, waits for vfailover
        pin_vcpus(vms, cpus=[1, 0, 1])           # QMP query-cpus-fast + sched_setaffinity
        probes = [tb.probe(i, 1000) for i in range(3)]
        m = tb.migrate_planned(0, probes[0])     # guest 0 to a local destination
        ...

Layout (namespace e2e<pid>, e2elib.testbed): the two bridges of the study (brv: VF
side, brb: backup side); guest i has its own taps (s<i>v, s<i>b on the
source, d<i>v, d<i>b for its destination), MAC 52:54:00:e2:e1:<i+1> and
probe veths p<i>v / p<i>b with MAC 02:e2:e1:00:00:<i+1>, so the bridges
deliver each guest's replies (vfailover --fwd macswap) to its own vfprobe
only.  Each vfprobe runs --idle-sleep-us (it would otherwise take a whole
host CPU per guest) on CPU 0 (-l 0).  Leaving the with-block kills every
VM and probe and deletes the namespace.
"""
import os
import time

from vfolib.probe import ProbeRun, vfprobe_argv

from .ctl import GuestCtl
from .migration import migrate
from .testbed import Testbed
from .vm import Vm

VF_PORT, BACKUP_PORT = 0, 1  # vfprobe's ports: the guest's VF side, its backup side
MIGRATE_PORT_BASE = 4460  # guest i's destination listens on MIGRATE_PORT_BASE + i
READY = r"^vfailover: forwarding"


def guest_mac(i):
    """Guest i's MAC (both of its NICs)."""
    return f"52:54:00:e2:e1:{i + 1:02x}"


def probe_mac(i):
    """The MAC of guest i's probe ports."""
    return f"02:e2:e1:00:00:{i + 1:02x}"


class GuestProbe(ProbeRun):
    """Guest i's vfprobe: its two veths, sending to the guest's MAC."""

    def __init__(self, tb, i, binary, rate, duration, gap_us, idle_sleep_us):
        self.tb, self.i = tb, i  # the testbed, the guest
        self.json_path = tb.path(f"probe{i}.json")
        self.log_path = tb.path(f"probe{i}.log")
        ctl_path = tb.path(f"probe{i}.ctl")
        eal = ["-l", "0", "--in-memory", "--no-pci", "--file-prefix",
               f"e2egp{os.getpid()}x{i}"]
        argv = vfprobe_argv(binary, eal, [f"net_af_packet0,iface=p{i}v",
                                          f"net_af_packet1,iface=p{i}b"],
                            ["--dst-mac", guest_mac(i), "--tx", "0,1", "--rate", str(rate),
                             "--duration", str(duration), "--gap-us", str(gap_us),
                             "--linger-ms", "500", "--idle-sleep-us", str(idle_sleep_us),
                             "--json", self.json_path, "--ctl", ctl_path])
        proc = tb.popen(argv, f"probe{i}.log")
        super().__init__(proc, ctl_path, self.json_path, log_tail=self.tail)
        self.wait_sending()

    def tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return " | ".join(f.read().strip().splitlines()[-5:])
        except OSError:
            return ""

    def counts(self):
        """(sent, probe packets received) so far."""
        s = self.stats()
        return s["tx"]["sent"], s["rx"]["probes"]


class GuestsTestbed(Testbed):
    """The host side of an N-guest run: the e2e study's Testbed (its
    namespace, clean-up, popen, path) wired for N guests."""

    def __init__(self, guest_dir, n, guest_args, workdir=None, keep=False, vf_model="e1000e"):
        """guest_dir: built guest; n: guests; guest_args: e2e.* kernel words
        for every guest; workdir: logs (default a temp dir, removed unless
        keep); vf_model: the VF stand-in (Vm)."""
        super().__init__(guest_dir, guest_args, workdir, keep)
        self.n = n  # guests
        self.vf_model = vf_model  # QEMU device of every guest's VF

    def wire(self):
        """Creates the bridges, and each guest's taps and probe veths (the
        layout above)."""
        for br in ("brv", "brb"):
            self.net.bridge(br)
        for i in range(self.n):
            for t, br in ((f"s{i}v", "brv"), (f"s{i}b", "brb"), (f"d{i}v", "brv"),
                          (f"d{i}b", "brb")):
                self.net.tap(t, br)
            self.net.veth(f"p{i}v", "brv", probe_mac(i))
            self.net.veth(f"p{i}b", "brb", probe_mac(i))

    def vm(self, name):
        """Returns the running Vm called 'name'."""
        return next(v for v in self.vms if v.name == name)

    def guest_append(self, i):
        """Guest i's kernel command line."""
        return " ".join(["console=ttyS0", "quiet", "panic=-1", "intel_iommu=on", "iommu=pt",
                         f"e2e.mac={guest_mac(i)}", f"e2e.peer={probe_mac(i)}"] +
                        self.guest_args)

    def start_guests(self, timeout=240):
        """Starts every guest's QEMU at once, waits until each one's
        vfailover forwards; returns the Vms (guest i at index i)."""
        vms = []
        for i in range(self.n):
            vm = Vm(self.net, self.workdir, f"g{i}", self.guest_dir, self.guest_append(i),
                    guest_mac(i), {"vf": f"s{i}v", "backup": f"s{i}b"}, vf_model=self.vf_model)
            self.vms.append(vm)
            vms.append(vm)
        for vm in vms:
            vm.wait_serial(READY, timeout)
        return vms

    def start_destination(self, i):
        """Guest i's destination: the same machine, no e1000e, -incoming."""
        vm = Vm(self.net, self.workdir, f"g{i}d", self.guest_dir, self.guest_append(i),
                guest_mac(i), {"vf": f"d{i}v", "backup": f"d{i}b"}, with_vf=False,
                incoming_port=MIGRATE_PORT_BASE + i, vf_model=self.vf_model)
        self.vms.append(vm)
        return vm

    def probe(self, i, binary, rate, duration=600, gap_us=10000, idle_sleep_us=200):
        """Starts guest i's vfprobe sending 'rate' packets/s from its VF side;
        returns it once it sends."""
        return GuestProbe(self, i, binary, rate, duration, gap_us, idle_sleep_us)

    def migrate_planned(self, i, probe, pin_cpu=None, timeout=30):
        """Migrates guest i (a running Vm "g<i>") to a new local destination
        the way the e2e study's planned scenario does (make-before-break on
        the host: its probe moves to the backup side; 'prepare'; device_del;
        QMP migration; once the guest answers on its backup path,
        netdev_add + device_add of the e1000e on the destination; the probe
        moves back when the guest's first frame reaches the VF side).  With
        pin_cpu, the destination's vCPU is pinned to it.  Returns the step
        times (monotonic s), QEMU's figures and the guest's warnings (a prepare
        whose drain reached its bound); the destination becomes
        "g<i>"."""
        src = self.vm(f"g{i}")
        dst = self.start_destination(i)
        if pin_cpu is not None:
            pin_vcpus([dst], [pin_cpu])
        dst.qmp.cmd("migrate-set-parameters", **{"announce-initial": 1, "announce-rounds": 1})
        sctl = GuestCtl(src.ctl_path)
        steps = {"first_step": time.monotonic()}
        steps["host_to_backup"] = probe.switch(BACKUP_PORT)[0]
        r = sctl.call("prepare", timeout=10)
        if not r.get("ok") and not (r.get("detail") or {}).get("released"):
            raise RuntimeError(f"guest {i}: prepare refused: {r.get('error')}")
        # Not ok with the VF released: the drain reached its bound (kept).
        warnings = [] if r.get("ok") else [f"prepare: {r['error']}"]
        sctl.close()
        steps["device_del"], steps["device_deleted"] = src.vf_unplug(timeout)
        back = probe.counts()[1]
        mig = migrate(src, dst, MIGRATE_PORT_BASE + i)
        steps.update(vm_paused=mig["t_stop"], vm_resumed=mig["t_resume"],
                     migration_completed=mig["t_completed"])
        src.qmp.cmd("quit")
        src.proc.wait(10)
        self.vms.remove(src)
        dst.name = src.name
        end = time.monotonic() + 5
        while probe.counts()[1] <= back and time.monotonic() < end:
            time.sleep(0.005)
        steps["backup_forwarding"] = time.monotonic()
        before = probe.stats()["rx"]["ports"][VF_PORT]
        steps["device_add"] = dst.vf_plug()
        dctl = GuestCtl(dst.ctl_path)
        end = time.monotonic() + timeout
        while dctl.active() != "vf" and time.monotonic() < end:
            time.sleep(0.02)
        steps["guest_vf_active"] = time.monotonic()
        dctl.close()
        while probe.stats()["rx"]["ports"][VF_PORT] <= before and time.monotonic() < end:
            time.sleep(0.005)
        steps["host_to_vf"] = probe.switch(VF_PORT)[0]
        return {"steps": steps, "total_ms": mig["total_ms"], "downtime_ms": mig["downtime_ms"],
                "pause_ms": (mig["t_resume"] - mig["t_stop"]) * 1e3, "warnings": warnings}


def vcpu_threads(vm):
    """Returns the host thread ids of a Vm's vCPUs (QMP query-cpus-fast)."""
    return [c["thread-id"] for c in vm.qmp.cmd("query-cpus-fast")]


def pin_vcpus(vms, cpus, others=None):
    """Pins vms[k]'s vCPU threads to host CPU cpus[k] and, with 'others' (a
    set of CPUs), every other thread of its QEMU (main loop, I/O, RCU,
    migration) to those: libvirt's <vcpupin> and <emulatorpin>, done with
    sched_setaffinity on the thread ids QMP reports.  Returns
    {vm name: {"vcpus": [tid], "cpu": cpu}}."""
    out = {}
    for vm, cpu in zip(vms, cpus):
        vcpus = vcpu_threads(vm)
        for tid in vcpus:
            os.sched_setaffinity(tid, {cpu})
        if others is not None:
            for tid in (int(t) for t in os.listdir(f"/proc/{vm.proc.pid}/task")):
                if tid not in vcpus:
                    try:
                        os.sched_setaffinity(tid, others)
                    except OSError:
                        pass  # the thread ended meanwhile
        out[vm.name] = {"vcpus": vcpus, "cpu": cpu}
    return out
