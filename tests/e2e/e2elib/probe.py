# SPDX-License-Identifier: BSD-3-Clause
"""probe — the host-side sender/receiver: vfprobe (docs/probe.md), run in the
testbed's namespace through vfolib.probe.

    p = Probe(tb, vfprobe_bin, rate="1k", duration=20)  # ports 0: pv (VF side),
    p.switch(1)                                           #   1: pb (backup side)
    p.rx_ports()                                          # live rx per port
    report = p.finish()                                   # the JSON report
    ndr(tb, vfprobe_bin, VF_PORT, 100000, 2, 2)           # RFC 2544 search, its report

vfprobe runs in the testbed's namespace on two net_pcap ports (the probe
ends of the veth pairs; libpcap gives each frame the kernel's receive time,
which vfprobe uses instead of its poll time: a vfprobe starved of CPU by
the VMs still times every arrival exactly), sends sequence-numbered UDP to
the guest's MAC at the given rate and analyzes everything that comes back
on either port.  Its report's times are CLOCK_REALTIME µs.
"""
import os

from vfolib.probe import ProbeError, ProbeRun, read_report, vfprobe_argv

from .testbed import GUEST_MAC

VF_PORT = 0  # probe port on the VF bridge
BACKUP_PORT = 1  # probe port on the backup bridge


def _argv(binary, *opts):
    """Returns vfprobe's command line on the testbed's two ports, sending to
    the guest's MAC, with 'opts' added."""
    eal = ["-l", "0", "--in-memory", "--no-pci", "--file-prefix", f"e2eprobe{os.getpid()}"]
    return vfprobe_argv(binary, eal, ["net_pcap0,iface=pv,phy_mac=1",
                                      "net_pcap1,iface=pb,phy_mac=1"],
                        ["--dst-mac", GUEST_MAC, *opts])


def ndr(tb, binary, port, max_rate, trial_s, res_pct):
    """Runs vfprobe's RFC 2544 search (--ndr: the highest rate with 0 loss)
    sending from probe port 'port', between 0 and max_rate packets/s,
    trials of trial_s s, stopping below res_pct % of max_rate; returns its
    report (its "ndr" object holds the rate and every trial)."""
    path = tb.path(f"ndr-{port}.json")
    p = tb.popen(_argv(binary, "--tx", str(port), "--rate", str(max_rate), "--ndr",
                       "--trial-s", str(trial_s), "--ndr-res-pct", str(res_pct),
                       "--json", path), f"ndr-{port}.log")
    try:
        p.wait(25 * (trial_s + 2) + 30)  # 20 trials at most, each with its linger
    except Exception:
        raise ProbeError("vfprobe --ndr did not finish in time")
    if p.returncode != 0:
        raise ProbeError(f"vfprobe --ndr exited {p.returncode} (see {tb.path(f'ndr-{port}.log')})")
    return read_report(path)


class Probe(ProbeRun):
    """One vfprobe run inside a Testbed."""

    def __init__(self, tb, binary, rate, duration, gap_us=2000, start_port=VF_PORT):
        """Starts vfprobe sending at 'rate' for 'duration' s from start_port;
        returns once it sends."""
        self.tb = tb  # the Testbed
        self.ctl_path = tb.path("probe.ctl")  # control socket
        tx = f"{start_port},{1 - start_port}"
        proc = tb.popen(_argv(
            binary, "--tx", tx, "--rate", rate, "--duration", str(duration),
            "--gap-us", str(gap_us), "--linger-ms", "500",
            "--json", tb.path("probe.json"), "--ctl", self.ctl_path), "probe.log")
        super().__init__(proc, self.ctl_path, tb.path("probe.json"), log_tail=self.log_tail)
        self.wait_sending()

    def log_tail(self):
        """Returns vfprobe's last output lines."""
        try:
            with open(self.tb.path("probe.log"), errors="replace") as f:
                return " | ".join(f.read().strip().splitlines()[-5:])
        except OSError:
            return ""

    def switch(self, port, attempts=3):
        """Moves sending to 'port' (see ProbeRun.switch); returns the
        monotonic time of the command that worked."""
        return super().switch(port, attempts)[0]

    def rx_ports(self):
        """Returns the frames received so far per port (any frame)."""
        return self.stats()["rx"]["ports"]

    def rx_probe_ports(self):
        """Returns the probe packets received so far per port (replies of
        the guest, not its announcements)."""
        return self.stats()["rx"]["probe_ports"]

    def rx_probes(self):
        """Returns the probe packets (vfprobe's own, sequence-numbered)
        received so far, on any port."""
        return self.stats()["rx"]["probes"]
