#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""failover_memif: planned and unplanned switches on memif stand-ins.

One uplink (vf + backup, both memif clients of a testpmd peer that reflects
nothing and counts what comes back).  The peer plays the host:

- planned cycle (x CYCLES): traffic on the VF path; 'prepare' (TX to the
  backup, VF drained and released); traffic on the backup path comes back on
  the backup; 'attach' brings the VF back (re-probed from its devargs,
  reconnected), the engine moves TX back to it; traffic on the VF path again.
  Every round: peer RX == peer TX exactly, vfailover drops 0.
- 'prefer backup' / 'prefer vf' move TX on command, releasing nothing.
  (Unplanned switches are in failover_tap: stopping the peer's memif port
  under a running memif client can crash DPDK 22.11's memif RX path, which
  unmaps the rings from the interrupt thread.)
- with --fwd flow, the peer's one UDP flow counts every packet received,
  before and after every switch (the flow table belongs to the uplink);
- the timeline holds the transitions, 'status' the state, and the mbufs in
  use at the end equal those at the start (nothing leaked);
- a VF that does not come back (attach with devargs that cannot start) is
  reported in 'status' (attach_failures, attach_retry_pending) while TX
  stays on the backup, until an attach with the right devargs.

Peer stalls (soak): twice in CI the peer answered a testpmd command more
than 15 s late (then 'no testpmd> within 15 s').  It had not hung: it
answered later and quit cleanly, and no memif deadlock was found (nothing
on the peer's command path waits for the memif client).  The test's
threads had been starved of CPU together on the shared 2-CPU machine:
vfailover's timeline shows a cycle of 11.6 s instead of about 0.1 s, and
vfailover did not exit within 5 s of SIGTERM.  A later run caught it with
thread states: vfailover's lcore thread, pinned to CPU 1, runnable but
given no CPU for 0.5 s (a switch's RCU grace period took 15 s); the peer's
command thread and its interrupt thread (memif connections) were pinned
to that same CPU.  So the peer's main lcore now floats over both CPUs
(vfotest.Harness.testpmd), a command answered after 15 s is logged with
the peer's thread states, and only none within 60 s fails, with gdb
backtraces (vfotest.TestPmd.cmd).  No cycle is retried; every count
stays exact.

    test_failover_memif.py VFAILOVER_BIN SOURCE_DIR
"""
import os

import vfotest
from vfolib.failover import moves, state, timeline, wait_state
from vfolib.rounds import exact_round as exact_round_on
from vfotest import check, check_eq, log

# Planned cycles: 3 in the integration suite; the soak suite sets
# VFO_CYCLES (500 in CI; scripts/soak takes any count, e.g. 10000).
CYCLES = int(os.environ.get("VFO_CYCLES", "3"))
BURSTS = 8  # 256 packets a round


def exact_round(f, port, member):
    """An exact-count round of BURSTS bursts on 'port' through 'member'."""
    exact_round_on(f.peer, f.ctl_path, port, member, BURSTS, verbose=CYCLES <= 10)


def planned_cycle(f):
    """prepare -> traffic on backup -> attach -> traffic on VF."""
    exact_round(f, 0, "vf")
    rep = vfotest.ctl(f.ctl_path, "prepare")
    check_eq(rep["uplinks"][0]["state"], "backup_vf_gone", "state after prepare")
    st = vfotest.ctl(f.ctl_path, "status")["uplinks"][0]
    check_eq((st["active"], st["members"]["vf"]["present"]), ("backup", False),
             "active member and VF presence after prepare")
    exact_round(f, 1, "backup")
    vfotest.ctl(f.ctl_path, "attach")
    wait_state(f.ctl_path, "vf_active", 15, "the VF to come back")
    check_eq(state(f.ctl_path)[1], "vf", "active member after attach")
    exact_round(f, 0, "vf")


def prefer_cycle(f):
    """'prefer backup' / 'prefer vf' move TX on command, releasing nothing."""
    vfotest.ctl(f.ctl_path, "prefer", member="backup")
    check_eq(state(f.ctl_path), ("backup_vf_present", "backup"),
             "state and active member with the backup preferred")
    exact_round(f, 1, "backup")
    vfotest.ctl(f.ctl_path, "prefer", member="vf")
    check_eq(state(f.ctl_path), ("vf_active", "vf"), "state and active member, VF preferred")
    exact_round(f, 0, "vf")


def vf_never_returns(f):
    """A VF that does not come back: 'attach' with devargs that cannot start
    is refused, TX stays on the backup, and the status reports the failure
    and the retry the engine scheduled; 'attach' with the right devargs
    brings the VF back."""
    good = vfotest.ctl(f.ctl_path, "status")["uplinks"][0]["members"]["vf"]["devargs"]
    vfotest.ctl(f.ctl_path, "prepare")
    c = vfotest.Ctl(f.ctl_path)
    rep = c.request({"cmd": "attach", "devargs":
                     f"net_memif0,role=client,socket={f.h.path('none.sock')},id=0"})
    c.close()
    check(rep["ok"] is False and "failed" in rep["error"], f"attach of a missing VF: {rep}")
    fo = vfotest.ctl(f.ctl_path, "status")["uplinks"][0]["failover"]
    check_eq((fo["state"], fo["attach_failures"], fo["attach_retry_pending"]),
             ("backup_vf_gone", 1, True), "state, failures, retry pending")
    check_eq(state(f.ctl_path)[1], "backup", "active member while the VF is missing")
    vfotest.ctl(f.ctl_path, "attach", devargs=good)
    wait_state(f.ctl_path, "vf_active", 15, "the VF to come back with its own devargs")
    fo = vfotest.ctl(f.ctl_path, "status")["uplinks"][0]["failover"]
    check_eq((fo["attach_failures"], fo["attach_retry_pending"]), (0, False),
             "failures and retry after the VF came back")


def test(h):
    # --fwd flow: io forwarding, every packet counted in the uplink's flow table
    f = vfotest.MemifReflect(h, extra_args=["--fwd", "flow"])
    start = vfotest.ctl(f.ctl_path, "stats")["mbufs_in_use"]
    for i in range(CYCLES):
        if CYCLES <= 10 or (i + 1) % 100 == 0:
            log(f"planned cycle {i + 1}/{CYCLES}")
        planned_cycle(f)
    prefer_cycle(f)
    tl = timeline(f.ctl_path)
    events = moves(tl)
    log(f"timeline: {events[-12:]}")
    for want in [("vf_active", "draining", "prepare"),
                 ("draining", "backup_vf_gone", "tick"),
                 ("backup_vf_gone", "vf_returning", "attach"),
                 ("vf_returning", "vf_active", "tick"),
                 ("vf_active", "backup_vf_present", "prefer_backup"),
                 ("backup_vf_present", "vf_active", "prefer_vf")]:
        check(want in events, f"timeline lacks the transition {want}")
    # A planned cycle makes 4 transitions; the timeline keeps the last 256.
    prepares = sum(1 for e in events if e[2] == "prepare")
    if 4 * CYCLES + 4 <= 256:
        check_eq(prepares, CYCLES, "planned cycles in the timeline")
    else:
        check(prepares >= 60, f"only {prepares} planned cycles in a full timeline")
    check(all(tl[i]["t_us"] <= tl[i + 1]["t_us"] for i in range(len(tl) - 1)),
          "timeline timestamps are monotonic")
    # The peer's frames are all one UDP flow: its counters span every switch.
    st = vfotest.member_stats(f.ctl_path)
    rx = st["members"]["vf"]["rx_pkts"] + st["members"]["backup"]["rx_pkts"]
    fl = vfotest.ctl(f.ctl_path, "flows", top=5)["uplinks"][0]
    log(f"flows: {fl}")
    check_eq(fl["total_flows"], 1, "flows in the table")
    check_eq(fl["flows"][0]["packets"], rx, "the flow's packets = all received, across switches")
    check_eq(fl["flows"][0]["bytes"], rx * 64, "the flow's bytes")
    vf_never_returns(f)
    end = vfotest.ctl(f.ctl_path, "stats")["mbufs_in_use"]
    check_eq(end, start, "mbufs in use after every cycle (leak check)")
    check_eq(f.vfo.stop(), 0, "vfailover exit status after SIGTERM")


if __name__ == "__main__":
    vfotest.main(test, "failover_memif")
