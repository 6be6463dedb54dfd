# SPDX-License-Identifier: BSD-3-Clause
"""testbed — one run's host: namespace, bridges, taps, VMs; all removed after.

    with Testbed(build_dir, guest_dir, "vfailover") as tb:
        src = tb.start_source()          # VM with the e1000e, guest booted
        dst = tb.start_destination()     # same machine, -incoming, no e1000e
        ...

Layout (all inside namespace e2e<pid>):

    probe port 0: veth pv --- bridge brv --- tap sv (source e1000e)
                                          \\-- tap dv (destination e1000e)
    probe port 1: veth pb --- bridge brb --- tap sb (source virtio-net)
                                          \\-- tap db (destination virtio-net)

The bridges learn where the guest's MAC is from its traffic and RARPs, as a
host's switch would.  HOST_IP on the namespace's loopback answers ARP on
both bridges (a path check's target).  Leaving the with-block (normally or by an exception,
SIGTERM or SIGINT) kills every VM and process the run started and deletes
the namespace; nothing outside it is touched.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

from vfolib.netns import HostNet
from .vm import Vm

GUEST_MAC = "52:54:00:e2:e0:01"
PROBE_MAC = "02:e2:e0:00:00:01"  # both probe ports (separate bridges)
MIGRATE_PORT = 4444
# The host's address, on the namespace's loopback: both bridges answer ARP
# for it (the guest's path check, --arp-target, in the surprise scenario).
HOST_IP = "198.18.0.1"


def _sigterm(signum, frame):
    """Turns SIGTERM into an exception so that clean-up runs."""
    raise KeyboardInterrupt(f"signal {signum}")


class Testbed:
    """The host side of one scenario run."""

    def __init__(self, guest_dir, guest_args, workdir=None, keep=False):
        """guest_dir: built guest (vmlinuz, initrd); guest_args: e2e.KEY=VALUE
        words for the guest's kernel command line; workdir: where logs go
        (default: a new temp dir, removed unless keep)."""
        self.guest_dir = guest_dir  # kernel + initrd
        self.guest_args = guest_args  # e2e.* kernel words
        self.own_workdir = workdir is None  # whether to remove it at the end
        self.keep = keep  # keep the workdir even if ours
        self.workdir = workdir or tempfile.mkdtemp(prefix="e2e-")  # logs, sockets
        os.makedirs(self.workdir, exist_ok=True)
        self.net = None  # HostNet
        self.vms = []  # every Vm started
        self.procs = []  # other processes started (Popen)

    def __enter__(self):
        signal.signal(signal.SIGTERM, _sigterm)
        try:
            self.net = HostNet(f"e2e{os.getpid()}")
            self.wire()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def wire(self):
        """Creates the bridges, taps and probe veths of the layout above in
        the namespace."""
        for br, ports in (("brv", ("sv", "dv")), ("brb", ("sb", "db"))):
            self.net.bridge(br)
            for t in ports:
                self.net.tap(t, br)
        self.net.veth("pv", "brv", PROBE_MAC)
        self.net.veth("pb", "brb", PROBE_MAC)
        self.net.ip("addr", "add", HOST_IP + "/32", "dev", "lo")

    def cut(self, tap):
        """Sets 'tap' down (its bridge port stops forwarding both ways, the
        VM's NIC model keeps its link up); returns the monotonic time of the
        command's start."""
        t = time.monotonic()
        self.net.ip("link", "set", "dev", tap, "down")
        return t

    def __exit__(self, *exc):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for vm in self.vms:
            vm.kill()
        if self.net:
            self.net.destroy()
        if self.own_workdir and not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return False

    def append(self):
        """Returns the guest kernel command line."""
        return " ".join(["console=ttyS0", "quiet", "panic=-1", "intel_iommu=on", "iommu=pt",
                         f"e2e.mac={GUEST_MAC}", f"e2e.peer={PROBE_MAC}"] + self.guest_args)

    def start_source(self):
        """Starts the source VM (with the e1000e) and returns it."""
        vm = Vm(self.net, self.workdir, "src", self.guest_dir, self.append(), GUEST_MAC,
                {"vf": "sv", "backup": "sb"})
        self.vms.append(vm)
        return vm

    def start_destination(self, with_vf=False):
        """Starts the destination VM (-incoming; the e1000e only if with_vf)
        and returns it."""
        vm = Vm(self.net, self.workdir, "dst", self.guest_dir, self.append(), GUEST_MAC,
                {"vf": "dv", "backup": "db"}, with_vf=with_vf, incoming_port=MIGRATE_PORT)
        self.vms.append(vm)
        return vm

    def popen(self, argv, log_name):
        """Starts argv inside the namespace, output to workdir/log_name;
        returns the Popen (killed at the end if still running)."""
        log = open(os.path.join(self.workdir, log_name), "wb")
        p = subprocess.Popen(self.net.run(argv), stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, preexec_fn=os.setpgrp)
        log.close()
        self.procs.append(p)
        return p

    def path(self, name):
        """Returns workdir/name."""
        return os.path.join(self.workdir, name)
