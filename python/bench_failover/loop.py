# SPDX-License-Identifier: BSD-3-Clause
"""loop — bench-failover's phase "loop": planned switches under continuous
traffic (unless --no-loop).  The peer forwards io with --port-topology=loop on both ports and starts
with 'start tx_first 4' (4 bursts of 32 per port): a fixed population of
packets ping-pongs between peer and vfailover as fast as both can go.
During it: prepare, attach, wait for vf_active.  Then the peer stops,
everything still in flight lands in the peer's RX rings, and the peer
(--no-flush-rx) counts it with rxonly: population at the end == population
at the start means 0 lost across the switch pair.  Also reported: the
loop's packet rate (peer RX) and the same switch times under load.
Unplanned switches under traffic are not measured: testpmd refuses
'port stop' while forwarding; the probe phase measures them.
"""
import time

from vfolib.checks import Failure, check_eq, log, mono_us
from vfolib.ctl import ctl, member_stats

from .rig import LOOP_BURSTS, LOOP_PEER_ARGS, Rig, loop_population


def first_rx_after(peer, port, base, t0, timeout=5.0):
    """Polls the peer's RX counter of 'port' until it leaves 'base'; returns
    the µs from t0 to the poll that saw it and the poll step in µs."""
    prev = t0
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        # Let the peer's forwarding lcore run: it shares CPU 0 with the
        # thread that answers these commands.
        time.sleep(0.0002)
        n = peer.port_stats(port)["rx"]
        now = mono_us()
        if n != base:
            return now - t0, now - prev
        prev = now
    raise Failure(f"the peer saw no packet on port {port} within {timeout:g} s")


def phase_loop(h, args, res):
    """Runs the phase: --loop-cycles cycles on one rig."""
    lp = args.link_poll_us[0]
    log(f"phase loop: vfailover, --link-poll-us {lp}, {args.loop_cycles} cycles")
    rig = Rig(h, "loop", lp, LOOP_PEER_ARGS)
    start_mbufs = ctl(rig.ctl_path, "stats")["mbufs_in_use"]
    for i in range(args.loop_cycles):
        c = {"phase": "loop", "link_poll_us": lp, "cycle": i + 1}
        d0 = member_stats(rig.ctl_path)["drops"]
        t_start = time.monotonic()
        rig.peer.cmd(f"start tx_first {LOOP_BURSTS}")
        time.sleep(0.2)
        # Forced switches (comparable with bonding's 'set bonding primary').
        base = rig.peer.port_stats(1)["rx"]
        t0 = mono_us()
        ctl(rig.ctl_path, "prefer", member="backup")
        c["prefer_backup_peer_sees_us"], c["peer_poll_res_us"] = \
            first_rx_after(rig.peer, 1, base, t0)
        r = rig.find(t0, "vf_active", "backup_vf_present", "prefer_backup")
        c["prefer_backup_tx_us"] = r["t_us"] - t0
        time.sleep(0.1)
        base = rig.peer.port_stats(0)["rx"]
        t0 = mono_us()
        ctl(rig.ctl_path, "prefer", member="vf")
        c["prefer_vf_peer_sees_us"], _ = first_rx_after(rig.peer, 0, base, t0)
        r = rig.find(t0, "backup_vf_present", "vf_active", "prefer_vf")
        c["prefer_vf_tx_us"] = r["t_us"] - t0
        time.sleep(0.1)
        # Planned switch and return under load.
        t0 = mono_us()
        ctl(rig.ctl_path, "prepare")
        c["planned_tx_backup_us"] = rig.find(t0, "vf_active", "draining", "prepare")["t_us"] - t0
        c["planned_released_us"] = rig.find(t0, "draining", "backup_vf_gone")["t_us"] - t0
        time.sleep(0.1)
        t0 = mono_us()
        ctl(rig.ctl_path, "attach")
        c["return_tx_vf_us"] = rig.find(t0, "vf_returning", "vf_active")["t_us"] - t0
        time.sleep(0.1)
        start, end, rx, secs = loop_population(rig.peer, (0, 1), t_start)
        d1 = member_stats(rig.ctl_path)["drops"]
        c["population"] = start
        c["lost"] = start - end
        c["vfo_drops"] = {k: d1[k] - d0[k] for k in d1}
        c["rate_mpps"] = rx / secs / 1e6
        res.cycles.append(c)
        res.add("loop: lost over prefer ×2 + prepare + attach (population check)", "pkts",
                c["lost"])
        res.add("loop: peer RX rate of the ping-pong (cycle average)", "Mpps", c["rate_mpps"])
        res.add("loop: prepare → TX on backup, under load", "us", c["planned_tx_backup_us"])
        res.add("loop: prepare → VF released, under load", "us", c["planned_released_us"])
        res.add("loop: attach → TX back on VF, under load", "us", c["return_tx_vf_us"])
        res.add("loop: `prefer backup` → TX on backup (timeline)", "us", c["prefer_backup_tx_us"])
        res.add("loop: `prefer backup` → peer sees RX on backup path (polled)", "us",
                c["prefer_backup_peer_sees_us"])
        res.add("loop: `prefer vf` → peer sees RX on VF path (polled)", "us",
                c["prefer_vf_peer_sees_us"])
        log(f"loop {i + 1}: population {start} -> {end} (lost {c['lost']}), "
            f"{c['rate_mpps']:.2f} Mpps, vfailover drops {c['vfo_drops']}; "
            f"prepare->TX backup {c['planned_tx_backup_us']} us, released "
            f"{c['planned_released_us']} us, attach->VF {c['return_tx_vf_us']} us; prefer "
            f"backup: TX {c['prefer_backup_tx_us']} us, peer sees "
            f"{c['prefer_backup_peer_sees_us']} us (poll step {c['peer_poll_res_us']} us)")
        check_eq(c["lost"], 0, "packets lost in the loop across the switches")
    end_mbufs = ctl(rig.ctl_path, "stats")["mbufs_in_use"]
    check_eq(end_mbufs, start_mbufs, "vfailover mbufs in use after the loop cycles (leak)")
    rig.stop()
