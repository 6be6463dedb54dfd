# SPDX-License-Identifier: BSD-3-Clause
"""gclock — the guest's clock on the host's: vfailover's CLOCK_MONOTONIC
(its failover timeline and its lcores' marks) as host CLOCK_REALTIME.

    s = sync(ctl)                 # 20 round trips of the "clock" command
    host_us = s.to_host(guest_us) # guest CLOCK_MONOTONIC µs -> host REALTIME µs

Each round trip brackets the guest's reading between the host's send and
receive times (s, r): offset = guest - host lies in [g - r, g - s].  The
estimate is the middle of the intersection of those intervals over all
samples, its error bound half the intersection's width (at most half the
shortest round trip).  If the intervals do not intersect (the clocks'
rates differ enough over the burst), the shortest round trip's middle is
used and its half-width is the bound.

The guest's clock stops with the VM (QEMU freezes its TSC and its virtual
clock while the VM is paused: measured in the study, the offsets before
and after a migration differ by the pause), so an offset holds for one
side of a migration only: sync once on the source, once on the destination.
"""
import time


class Sync:
    """One offset between the guest's CLOCK_MONOTONIC and the host's
    CLOCK_REALTIME (µs), with its error bound and when it was taken."""

    def __init__(self, samples):
        """samples: [(host send µs, host receive µs, guest µs)]."""
        self.samples = samples  # the round trips
        lo = max(g - r for s, r, g in samples)
        hi = min(g - s for s, r, g in samples)
        if lo <= hi:
            self.offset_us = (lo + hi) / 2  # guest - host
            self.err_us = (hi - lo) / 2  # |true - estimate| <= err_us
        else:
            s, r, g = min(samples, key=lambda x: x[1] - x[0])
            self.offset_us = g - (s + r) / 2
            self.err_us = (r - s) / 2
        self.rtt_min_us = min(r - s for s, r, g in samples)  # shortest round trip
        self.at_us = samples[0][0]  # host REALTIME of the first sample

    def to_host(self, guest_us):
        """Returns the host CLOCK_REALTIME µs of guest CLOCK_MONOTONIC µs."""
        return guest_us - self.offset_us

    def doc(self):
        """Returns the sync as a JSON-able dict."""
        return {"offset_us": round(self.offset_us, 1), "err_us": round(self.err_us, 1),
                "rtt_min_us": round(self.rtt_min_us, 1), "at_us": round(self.at_us),
                "n": len(self.samples)}


def sync(ctl, n=20, pause_s=0.002):
    """Runs n "clock" round trips on GuestCtl ctl; returns their Sync."""
    samples = []
    for _ in range(n):
        s = time.time() * 1e6
        g = ctl.call("clock")["mono_us"]
        r = time.time() * 1e6
        samples.append((s, r, g))
        time.sleep(pause_s)
    return Sync(samples)
