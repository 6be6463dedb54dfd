# SPDX-License-Identifier: BSD-3-Clause
"""cycles — bench-failover's phase "cycles": memif members, the link idle
during each switch; once per --link-poll-us value, --cycles times:

1. planned   'prepare' (the host is about to detach the VF).  From the
               uplink's timeline (t_us is CLOCK_MONOTONIC, the clock of
               Python's time.monotonic()): command sent -> the
               vf_active->draining record (written right after TX moved to
               the backup and the RCU grace period ended) = "prepare -> TX
               on backup"; command sent -> the draining->backup_vf_gone
               record = "prepare -> VF released"; and the engine's own
               set_active duration ("TX on backup in N us").
2. return    'attach' (the VF is back).  Command sent -> the
               backup_vf_gone->vf_returning record (probe, configure,
               start) and -> vf_returning->vf_active (link up seen, TX back
               on the VF).
3. unplanned peer 'port stop 0' (memif link down; the time includes
               testpmd reading and running the command).  Command written to
               testpmd -> the vf_active->backup_vf_present record (detection
               + switch).  Then 'port start 0' -> vf_active again: the engine
               re-probes a VF that stays down for reprobe_down_us (1 s), so
               this number measures that policy, not a switch.

Between switches, exact-count rounds (the peer sends 256 packets on the
path in use, all must come back, vfailover drops 0) check loss = 0; a
cycle that fails a check ends the phase and the script exits 1.  The
peer's traffic is not sequence-numbered, so these rounds say nothing
about packets in flight *during* a switch: the loop phase does.

Also reported for the unplanned case: the time from testpmd's prompt
coming back after 'port stop 0' (the link went down somewhere inside that
command, which takes ~0.4-1.2 ms) to TX on the backup; negative values
mean the switch happened before testpmd finished the command.
"""
from vfolib.checks import Failure, check_eq, log, mono_us, wait_until
from vfolib.ctl import ctl

from .rig import Rig, cycle_failed, detail_us


def run_cycle(rig, lp, i, res):
    """One planned + return + unplanned cycle; adds samples to 'res'."""
    c = {"phase": "cycles", "link_poll_us": lp, "cycle": i + 1}
    sfx = f" (poll {lp} µs)"
    pkts = rig.exact_round(0, "vf")
    lost0 = rig.failover()["lost_unplanned"]

    # 1. planned
    t0 = mono_us()
    rep = ctl(rig.ctl_path, "prepare")
    c["prepare_reply_us"] = mono_us() - t0
    check_eq(rep["uplinks"][0]["state"], "backup_vf_gone", "state after prepare")
    r_sw = rig.find(t0, "vf_active", "draining", "prepare")
    r_rel = rig.find(t0, "draining", "backup_vf_gone")
    c["planned_tx_backup_us"] = r_sw["t_us"] - t0
    c["planned_set_active_us"] = detail_us(r_sw, r"TX on backup in (\d+) us")
    c["planned_released_us"] = r_rel["t_us"] - t0
    pkts += rig.exact_round(1, "backup")

    # 2. return
    t0 = mono_us()
    ctl(rig.ctl_path, "attach")
    c["attach_reply_us"] = mono_us() - t0
    r_ret = rig.find(t0, "backup_vf_gone", "vf_returning", "attach")
    r_act = rig.find(r_ret["t_us"], "vf_returning", "vf_active")
    c["return_started_us"] = r_ret["t_us"] - t0
    c["return_tx_vf_us"] = r_act["t_us"] - t0
    c["return_set_active_us"] = detail_us(r_act, r"switch took (\d+) us")
    pkts += rig.exact_round(0, "vf")

    # 3. unplanned
    t0 = mono_us()
    rig.peer.cmd("port stop 0")
    c["peer_port_stop_cmd_us"] = mono_us() - t0
    r_dn = rig.find(t0, "vf_active", "backup_vf_present")
    c["unplanned_tx_backup_us"] = r_dn["t_us"] - t0
    c["unplanned_after_prompt_us"] = r_dn["t_us"] - (t0 + c["peer_port_stop_cmd_us"])
    c["unplanned_event"] = r_dn["event"]
    c["unplanned_set_active_us"] = detail_us(r_dn, r"switch took (\d+) us")
    t1 = mono_us()
    rig.peer.cmd("port start 0")
    r_up = rig.find(t1, "vf_returning", "vf_active", timeout=20)
    wait_until(lambda: rig.state() == ("vf_active", "vf"), 10, "vf_active after the VF's return")
    c["unplanned_back_on_vf_us"] = r_up["t_us"] - t1
    pkts += rig.exact_round(0, "vf")
    c["lost_unplanned_reported"] = rig.failover()["lost_unplanned"] - lost0
    c["exact_round_pkts"] = pkts
    c["exact_round_lost"] = 0  # every round above checked RX == TX exactly

    res.add("planned: prepare → TX on backup" + sfx, "us", c["planned_tx_backup_us"])
    res.add("planned: set_active (RCU swap + grace period)" + sfx, "us",
            c["planned_set_active_us"])
    res.add("planned: prepare → VF released" + sfx, "us", c["planned_released_us"])
    res.add("planned: prepare command round trip" + sfx, "us", c["prepare_reply_us"])
    res.add("return: attach → VF probed, configured, started" + sfx, "us",
            c["return_started_us"])
    res.add("return: attach → TX back on VF" + sfx, "us", c["return_tx_vf_us"])
    res.add("unplanned: peer `port stop 0` → TX on backup" + sfx, "us",
            c["unplanned_tx_backup_us"])
    res.add("unplanned: peer `port stop 0` done (prompt back) → TX on backup" + sfx, "us",
            c["unplanned_after_prompt_us"])
    res.add("unplanned: peer's `port stop 0` command itself" + sfx, "us",
            c["peer_port_stop_cmd_us"])
    res.add("unplanned: set_active (RCU swap + grace period)" + sfx, "us",
            c["unplanned_set_active_us"])
    res.add("unplanned: peer `port start 0` → TX back on VF (re-probe policy)" + sfx, "us",
            c["unplanned_back_on_vf_us"])
    res.add("unplanned: packets lost in VF rings (vfailover count, idle)" + sfx, "pkts",
            c["lost_unplanned_reported"])
    res.add("lost in exact-count rounds between switches" + sfx, "pkts", 0)
    res.cycles.append(c)
    log(f"cycle {i + 1} poll {lp}: prepare->TX backup {c['planned_tx_backup_us']} us "
        f"(set_active {c['planned_set_active_us']} us), released {c['planned_released_us']} us; "
        f"attach->started {c['return_started_us']} us, ->TX on VF {c['return_tx_vf_us']} us; "
        f"link down->TX backup {c['unplanned_tx_backup_us']} us (on {c['unplanned_event']}); "
        f"port start->VF {c['unplanned_back_on_vf_us'] / 1000:.0f} ms; "
        f"{pkts} pkts in exact rounds, 0 lost")


def phase_cycles(h, args, res):
    """Runs the phase for every --link-poll-us value."""
    for lp in args.link_poll_us:
        log(f"phase cycles: --link-poll-us {lp}, {args.cycles} cycles")
        done = fails = 0
        rig = None
        while done < args.cycles:
            try:
                if rig is None:
                    rig = Rig(h, f"c{lp}r{fails}", lp,
                              ["--port-topology=loop", "--forward-mode=rxonly"])
                    rig.peer.cmd("set nbport 1")
                    start_mbufs = ctl(rig.ctl_path, "stats")["mbufs_in_use"]
                run_cycle(rig, lp, done, res)
                done += 1
            except (Failure, OSError) as e:
                cycle_failed(h, rig, f"cycles poll {lp} cycle {done + 1}", e, res)
                rig = None
                fails += 1
                if fails >= args.max_failures:
                    raise Failure(f"{fails} failed cycles at poll {lp}; giving up")
        end_mbufs = ctl(rig.ctl_path, "stats")["mbufs_in_use"]
        check_eq(end_mbufs, start_mbufs, "vfailover mbufs in use after the cycles (leak)")
        rig.stop()
