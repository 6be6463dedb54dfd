# SPDX-License-Identifier: BSD-3-Clause
"""vm — one QEMU process of the study: the guest, its NICs and channels.

The machine is the testbed of issue 6: q35 under TCG (1 vCPU, 1 GiB), an
emulated IOMMU (the guest binds its NICs to vfio-pci), an e1000e on a
pcie-root-port as the VF stand-in (ACPI hot-plug), a virtio-net-pci as the
fallback, a virtio-serial port org.vfailover.0 for the control channel, the
serial console in a file and QMP on a UNIX socket.  A destination VM is the
same machine without the e1000e, waiting for an incoming migration; the VF
is added to it afterwards (netdev_add before device_add).  QEMU logs the
trace events TRACE_EVENTS to NAME.trace (qtrace.py reads them).
"""
import os
import re
import subprocess
import time

from vfolib.proc import set_pdeathsig

from .qmp import Qmp

MEM_MB = 1024
# QEMU trace events logged (log backend, wall-clock µs stamps) to NAME.trace:
# every buffer QEMU hands back to the guest on a virtqueue (a frame into
# the virtio NIC's RX ring, a TX frame sent), the VM's run state, and
# QEMU's request that the guest announce itself after a migration (DPDK's
# virtio PMD pauses the port to answer it).
TRACE_EVENTS = ("virtqueue_fill", "vm_state_notify", "virtio_net_announce_notify")
VF_BUS = "rp1"  # the pcie-root-port the e1000e sits on (guest 0000:01:00.0)


class VmError(Exception):
    """The VM did not start or did not do what was expected in time."""


class Vm:
    """A QEMU process in the study's network namespace."""

    def __init__(self, net, workdir, name, guest, append, mac, taps, with_vf=True,
                 incoming_port=None, extra=(), vf_model="e1000e"):
        """Starts QEMU 'name' in HostNet 'net' with kernel and initrd from
        directory 'guest', kernel command line 'append', both NICs on 'mac',
        'taps' = {"vf": TAP, "backup": TAP}; the e1000e only if with_vf;
        waiting for a migration on 127.0.0.1:incoming_port if given; 'extra'
        QEMU arguments added at the end; vf_model: the VF stand-in's QEMU
        device (e1000e, or vmxnet3, whose DPDK PMD has working RX
        interrupts).  Files go to workdir/name.*."""
        self.name = name  # for messages
        self.vf_model = vf_model  # QEMU device of the VF stand-in
        self.mac = mac  # MAC of both NICs
        self.taps = taps  # {"vf": tap, "backup": tap}
        self.serial_path = os.path.join(workdir, name + ".serial")  # console
        self.qmp_path = os.path.join(workdir, name + ".qmp")  # QMP socket
        self.ctl_path = os.path.join(workdir, name + ".ctl")  # virtio-serial socket
        self.log_path = os.path.join(workdir, name + ".qemu.log")  # QEMU's stderr
        self.trace_path = os.path.join(workdir, name + ".trace")  # QEMU's trace events
        argv = [
            "qemu-system-x86_64", "-name", name, "-machine", "q35", "-accel", "tcg",
            "-cpu", "max", "-smp", "1", "-m", str(MEM_MB), "-nodefaults",
            "-display", "none", "-no-reboot",
            "-device", "intel-iommu,intremap=on",
            "-kernel", os.path.join(guest, "vmlinuz"),
            "-initrd", os.path.join(guest, "initrd"),
            "-append", append,
            "-chardev", f"file,id=con,path={self.serial_path}", "-serial", "chardev:con",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            "-device", f"pcie-root-port,id={VF_BUS},chassis=1,bus=pcie.0,addr=0x10",
            "-netdev", f"tap,id=nbk,ifname={taps['backup']},script=no,downscript=no",
            "-device", f"virtio-net-pci,id=bk,netdev=nbk,bus=pcie.0,addr=0x3,mac={mac}"
            + os.environ.get("E2E_VIRTIO_OPTS", ""),
            "-chardev", f"socket,id=vfoctl,path={self.ctl_path},server=on,wait=off",
            "-device", "virtio-serial-pci,id=vser,bus=pcie.0,addr=0x4",
            "-device", "virtserialport,bus=vser.0,chardev=vfoctl,name=org.vfailover.0",
        ] + [a for ev in TRACE_EVENTS for a in ("-trace", f"enable={ev}")] + [
            "-D", self.trace_path, "-msg", "timestamp=on",
        ]
        if with_vf:
            argv += ["-netdev", f"tap,id=nvf,ifname={taps['vf']},script=no,downscript=no",
                     "-device", self._vf_device_arg()]
        if incoming_port:
            argv += ["-incoming", f"tcp:127.0.0.1:{incoming_port}"]
        argv += list(extra)
        self.argv = argv  # the command line, for the record
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(net.run(argv), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         preexec_fn=set_pdeathsig)
        try:
            self.qmp = Qmp(self.qmp_path, timeout=20)  # the QMP connection
        except Exception:
            self.kill()
            raise VmError(f"{name}: QEMU did not start: {self.qemu_log()}")

    def _vf_device_arg(self):
        """Returns the -device value of the VF stand-in."""
        return f"{self.vf_model},id=vf,netdev=nvf,bus={VF_BUS},mac={self.mac}"

    def qemu_log(self):
        """Returns the last lines QEMU printed."""
        try:
            with open(self.log_path, errors="replace") as f:
                return " | ".join(f.read().strip().splitlines()[-5:])
        except OSError:
            return ""

    def serial(self):
        """Returns the serial console output so far."""
        try:
            with open(self.serial_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_serial(self, pattern, timeout, start=0):
        """Waits until regex 'pattern' appears in the console after offset
        'start'; returns the match.  Raises VmError on timeout or if QEMU
        exits."""
        end = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        while True:
            m = rx.search(self.serial(), start)
            if m:
                return m
            if self.proc.poll() is not None:
                raise VmError(f"{self.name}: QEMU exited ({self.proc.returncode}) "
                              f"waiting for /{pattern}/: {self.qemu_log()}")
            if time.monotonic() > end:
                tail = " | ".join(self.serial().strip().splitlines()[-6:])
                raise VmError(f"{self.name}: no /{pattern}/ on the console within "
                              f"{timeout:g} s; last lines: {tail}")
            time.sleep(0.05)

    def vf_unplug(self, timeout=20):
        """device_del of the e1000e; returns (monotonic time of the command,
        monotonic time DEVICE_DELETED arrived)."""
        t0 = time.monotonic()
        self.qmp.cmd("device_del", id="vf")
        self.qmp.wait_event("DEVICE_DELETED", timeout, {"device": "vf"})
        t1 = time.monotonic()
        self.qmp.cmd("netdev_del", id="nvf")
        return t0, t1

    def vf_plug(self):
        """netdev_add of the VF's tap, then device_add of the e1000e; returns
        the monotonic time of the device_add."""
        self.qmp.cmd("netdev_add", type="tap", id="nvf", ifname=self.taps["vf"],
                     script="no", downscript="no")
        t = time.monotonic()
        self.qmp.cmd("device_add", driver=self.vf_model, id="vf", netdev="nvf", bus=VF_BUS,
                     mac=self.mac)
        return t

    def kill(self):
        """Stops QEMU (SIGTERM, then SIGKILL after 3 s) and waits for it."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            self.qmp.close()
        except AttributeError:
            pass
