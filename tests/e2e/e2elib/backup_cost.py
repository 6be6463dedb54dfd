# SPDX-License-Identifier: BSD-3-Clause
"""backup_cost — what vfailover's backup path costs in each way of meeting
QEMU's failover mode, measured through the study's TCG guest.

    r = measure(guest_dir, vfprobe, "af_packet", max_rate=100000, trial_s=2,
                res_pct=2, lat_rate=1000, lat_s=10)

Variants (VARIANTS): "virtio-pmd" is today's guest (DPDK's virtio PMD owns
the virtio-net; it cannot ack VIRTIO_NET_F_STANDBY, so QEMU's failover mode
is out of reach: the reference); "af_packet" and "af_xdp" are the failover-
mode guest (tests/e2e/guest/guest-vfailover-standby: the kernel's
virtio_net keeps the device and acks STANDBY, vfailover's backup member is
its standby netdev through net_af_packet or net_af_xdp).  Each measurement
boots its guest, moves vfailover to the backup (`prefer backup`) and sends
from the probe's backup-side port: first at lat_rate packets/s for lat_s s
(latency and loss), then vfprobe's RFC 2544 search for the highest rate
without loss.
"""
import time

from . import qemu_failover as qf
from .ctl import GuestCtl
from .probe import BACKUP_PORT, Probe, ndr
from .testbed import Testbed

# name -> (guest program, e2e.* kernel words, failover mode)
VARIANTS = {
    "virtio-pmd": ("vfailover", [], False),
    "af_packet": ("vfailover-standby", ["e2e.backup_pmd=af_packet"], True),
    "af_xdp": ("vfailover-standby", ["e2e.backup_pmd=af_xdp"], True),
}

READY = r"^vfailover: forwarding"


class CostError(Exception):
    """The guest did not come up on its backup."""


def measure(guest_dir, vfprobe, variant, max_rate, trial_s, res_pct, lat_rate, lat_s,
            workdir=None):
    """Measures the backup path of 'variant'; returns {"variant", "latency":
    vfprobe's latency object at lat_rate, "sent", "lost", "ndr_pps",
    "trials"}."""
    guest, args, failover = VARIANTS[variant]
    with Testbed(guest_dir, [f"e2e.guest={guest}"] + args, workdir=workdir) as tb:
        if failover:
            vm = qf.start_source(tb)
            qf.wait_negotiated(vm, 120)
        else:
            vm = tb.start_source()
        vm.wait_serial(READY, 120)
        ctl = GuestCtl(vm.ctl_path)
        r = ctl.call("prefer", member="backup", timeout=10)
        if not r.get("ok"):
            raise CostError(f"{variant}: prefer backup refused: {r.get('error')}")
        ctl.close()
        probe = Probe(tb, vfprobe, str(lat_rate), duration=lat_s, gap_us=10000,
                      start_port=BACKUP_PORT)
        rep = probe.finish(timeout=lat_s + 60)
        time.sleep(1)
        found = ndr(tb, vfprobe, BACKUP_PORT, max_rate, trial_s, res_pct)["ndr"]
        return {"variant": variant, "latency": rep.get("latency"),
                "sent": rep.get("tx", {}).get("sent"), "lost": rep["totals"]["lost"],
                "ndr_pps": found["rate_pps"], "trials": found["trials"]}
