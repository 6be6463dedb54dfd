# SPDX-License-Identifier: BSD-3-Clause
"""failover — vfailover's failover state as its control socket shows it.

    state(ctl_path)                                   # ("vf_active", "vf")
    wait_state(ctl_path, "vf_active", 15, "the VF to come back")
    wait_state(ctl_path, ("backup_vf_present", "backup"), 5, "TX on the backup")
    r = find_record(ctl_path, t0_us, "vf_active", "draining", "prepare")
    r["t_us"] - t0_us                                  # command -> TX on backup

Timeline records carry CLOCK_MONOTONIC µs (vfolib.checks.mono_us() here).
"""
import time

from .checks import wait_until
from .ctl import ctl


def uplink_status(ctl_path, uplink=0):
    """Returns the "status" entry of uplink index 'uplink'."""
    return ctl(ctl_path, "status")["uplinks"][uplink]


def members_up(ctl_path, uplink=0):
    """True when both members of the uplink report link up."""
    st = uplink_status(ctl_path, uplink)["members"]
    return all(st[m].get("link_up") for m in ("vf", "backup"))


def state(ctl_path, uplink=0):
    """Returns (failover state, active member) of uplink index 'uplink'."""
    up = uplink_status(ctl_path, uplink)
    return up["failover"]["state"], up["active"]


def wait_state(ctl_path, want, timeout, what, uplink=0, interval=0.01, t0=None):
    """Waits until the uplink's failover state is 'want' (a state name), or
    (state, active member) is 'want' (a tuple); returns the seconds since
    't0' (time.monotonic(), default: the call)."""
    t0 = time.monotonic() if t0 is None else t0
    if isinstance(want, tuple):
        wait_until(lambda: state(ctl_path, uplink) == want, timeout, what, interval)
    else:
        wait_until(lambda: state(ctl_path, uplink)[0] == want, timeout,
                   f"{what} (state {want})", interval)
    return time.monotonic() - t0


def timeline(ctl_path, uplink=0):
    """Returns the uplink's failover timeline records, oldest first."""
    return ctl(ctl_path, "timeline")["uplinks"][uplink]["timeline"]


def moves(records):
    """Returns (from, to, event) of the records that changed the state."""
    return [(r["from"], r["to"], r["event"]) for r in records if r["from"] != r["to"]]


def find_record(ctl_path, since_us, frm, to, event=None, timeout=10.0, interval=0.01,
                uplink=0):
    """Waits for the first timeline record frm -> to (and 'event', when
    given) at or after 'since_us'; returns it."""
    def look():
        for r in timeline(ctl_path, uplink):
            if r["t_us"] >= since_us and r["from"] == frm and r["to"] == to and \
                    (event is None or r["event"] == event):
                return r
        return None
    return wait_until(look, timeout, f"timeline record {frm} -> {to}", interval)
