# SPDX-License-Identifier: BSD-3-Clause
"""probe — bench-failover's phase "probe" (unless --no-probe): vfprobe (build/probe/vfprobe) plays the
host with sequence-numbered traffic.  Planned cycles, at each of
--probe-rates (default max,1M), on memif (vfprobe serves both sockets:
port 0 = VF path, port 1 = backup path): the host moves its sending to
the backup path ({"cmd":"switch","port":1}), vfailover gets 'prepare',
then 'attach', and once TX is back on the VF the host sends on the VF
path again; the loss of each cycle is the report's sequence gaps within
the cycle's sequence numbers; the times come from vfailover's timeline.
Each rate runs once per --probe-tx-retry-us value (default 0,1000):
vfailover's --tx-retry-us, side by side in the same run (0: a full TX
ring's refusals are freed at once; N: offered again for up to N us).
Unplanned cycles at --unplanned-rate (default 50k) with a net_tap VF
(vfprobe's port 0 an af_packet port on the tap's kernel side) and a memif
backup: the host sends on the backup path, vfailover forwards out of its
VF, the tap goes down (SIOCSIFFLAGS from this script): link down -> TX on
backup from the timeline, loss from the sequence gaps.
"""
import os
import time

from vfolib.checks import Failure, check, check_eq, log, mono_us, wait_until
from vfolib.ctl import ctl, member_stats
from vfolib.failover import find_record, uplink_status, wait_state
from vfolib.netns import link_del, set_link, tap_add
from vfolib.probe import ProbeRun, lost_in, vfprobe_argv


def probe_start(h, args, name, ports, rate, tx):
    """Starts vfprobe on lcore 0 with 'ports' (devargs), sending at 'rate'
    on the first of 'tx' (a --tx list) for up to 10 minutes (the phase stops
    it); returns its ProbeRun once its control socket answers."""
    sock, out = h.path(f"{name}.sock"), h.path(f"{name}.json")
    proc = h.spawn(name, vfprobe_argv(args.vfprobe, h.eal("0", single_file=True), ports, [
        "--tx", tx, "--rate", rate, "--duration", "600", "--ctl", sock, "--json", out,
        "--gap-us", "1000", "--linger-ms", "200"]))
    return ProbeRun(proc, sock, out, log_tail=lambda: proc.stderr()[-2000:])


def probe_finish(run):
    """Stops vfprobe's run and returns its JSON report (it must exit 0)."""
    run.stop()
    return run.finish(30)


def probe_vfailover(h, tag, vf, backup, more=()):
    """vfailover with members 'vf' and 'backup' (devargs), io, a control
    socket and options 'more'; returns (proc, control socket path) once it
    is on its VF."""
    path = h.path(f"{tag}-ctl.sock")
    p = h.vfailover(f"vfo-{tag}", ["--vf", vf, "--backup", backup, "--fwd", "io",
                                   "--ctl", path, "--stats-interval", "0"] + list(more),
                    ctl_path=path)
    return p, path


def timeline_find(path, since_us, frm, to, event=None, timeout=10.0):
    """The first timeline record frm -> to (and 'event') at or after since_us."""
    return find_record(path, since_us, frm, to, event, timeout, interval=0.002)


# Planned cycles per vfprobe run.  DPDK 22.11's memif PMD can crash a side
# whose peer goes away under traffic (every planned cycle releases the VF);
# vfprobe and vfailover guard against it (docs/robustness.md).  A run that
# fails anyway is a failure of the bench (recorded), then run again.
PROBE_BATCH = 5


def probe_planned(h, args, res, rate, retry_us):
    """Planned cycles at 'rate' with vfailover --tx-retry-us 'retry_us', in
    runs of PROBE_BATCH cycles."""
    done, failed = 0, 0
    while done < args.cycles:
        n = min(PROBE_BATCH, args.cycles - done)
        try:
            probe_planned_run(h, args, res, rate, retry_us, n, f"{done}f{failed}")
            done += n
        except (Failure, OSError) as e:
            failed += 1
            dead = [f"{p.name} (exit {p.popen.returncode}: "
                    f"{' | '.join(p.stderr().strip().splitlines()[-3:])})"
                    for p in h.procs if not p.running() and p.popen.returncode]
            why = f"probe {rate}: a run of {n} planned cycles failed ({e}); exited: {dead}"
            log(why)
            res.notes.append(why + " (run again)")
            res.failures.append(why)
            h.stop_all()
            if failed >= args.max_failures:
                raise Failure(f"probe {rate}: {failed} failed runs; giving up")
        h.stop_all()


def probe_planned_run(h, args, res, rate, retry_us, ncycles, tag):
    """'ncycles' planned cycles at 'rate' on memif: vfprobe serves both
    sockets (port 0 = the VF path, port 1 = the backup path) and plays the host's
    make-before-break: it moves its sending to the backup path, the guest
    gets 'prepare' (TX to the backup, VF drained and released), then
    'attach'; once TX is back on the VF, the host sends on the VF path
    again.  Each cycle's loss: the report's gaps within the cycle's
    sequence numbers (from the switch replies)."""
    tag = f"pp{rate}t{retry_us}r{tag}"
    vf_sock, bk_sock = h.path(f"{tag}-vf.sock"), h.path(f"{tag}-bk.sock")
    run = probe_start(h, args, f"probe-{tag}", [
        f"net_memif0,role=server,socket={vf_sock},id=0",
        f"net_memif1,role=server,socket={bk_sock},id=0"], rate, "0,1")
    vfo, vctl = probe_vfailover(h, tag, f"net_memif0,role=client,socket={vf_sock},id=0",
                                f"net_memif1,role=client,socket={bk_sock},id=0",
                                ["--tx-retry-us", str(retry_us)])
    time.sleep(0.5)
    # Baseline: what this setup loses in a second without any switch.
    base = [run.stats()["tx"]["sent"]]
    time.sleep(1.0)
    base.append(run.stats()["tx"]["sent"])
    bounds, cycles = [], []
    t_cycles = time.monotonic()
    for i in range(ncycles):
        c = {"phase": "probe-planned", "rate": rate, "cycle": i + 1}
        c["seq_start"] = run.call("switch", port=1)["seq"]  # host: backup path
        time.sleep(0.02)
        t0 = mono_us()
        ctl(vctl, "prepare")
        c["prepare_tx_backup_us"] = timeline_find(vctl, t0, "vf_active", "draining",
                                                  "prepare")["t_us"] - t0
        c["prepare_released_us"] = timeline_find(vctl, t0, "draining",
                                                 "backup_vf_gone")["t_us"] - t0
        time.sleep(0.02)
        t0 = mono_us()
        ctl(vctl, "attach")
        r = timeline_find(vctl, t0, "backup_vf_gone", "vf_returning", "attach")
        c["attach_started_us"] = r["t_us"] - t0
        c["attach_tx_vf_us"] = timeline_find(vctl, r["t_us"], "vf_returning",
                                             "vf_active")["t_us"] - t0
        run.call("switch", port=0)  # host: VF path again
        time.sleep(0.02)
        cycles.append(c)
    bounds = [c["seq_start"] for c in cycles] + [run.stats()["tx"]["sent"]]
    t_cycles = (time.monotonic() - t_cycles) / ncycles
    rep = probe_finish(run)
    vst = member_stats(vctl)
    vfo_drops = vst["drops"]
    check_eq(vfo.stop(), 0, "vfailover exit status")
    sent = rep["tx"]["sent"]
    pre = f"probe {rate}, --tx-retry-us {retry_us}: planned: "
    for i, c in enumerate(cycles):
        c["lost"] = lost_in(rep, bounds[i], bounds[i + 1])
        res.cycles.append(c)
        res.add(pre + "lost per cycle (vfprobe sequence gaps)", "pkts", c["lost"])
        res.add(pre + "prepare → TX on backup", "us", c["prepare_tx_backup_us"])
        res.add(pre + "prepare → VF released", "us", c["prepare_released_us"])
        res.add(pre + "attach → VF probed, configured, started", "us", c["attach_started_us"])
        res.add(pre + "attach → TX back on VF", "us", c["attach_tx_vf_us"])
    secs = max(rep.get("duration_us", 0), 1) / 1e6
    res.add(pre + "vfprobe send rate over the run", "Mpps", sent / secs / 1e6)
    res.add(pre + "baseline: lost in 1 s without switches (same run)", "pkts",
            lost_in(rep, base[0], base[1]))
    res.add(pre + "cycle length (prepare, attach, host switches)", "ms", t_cycles * 1000)
    res.add(pre + "vfailover drops tx_full over the run (the peer's ring full)", "pkts",
            vfo_drops["tx_full"])
    res.add(pre + "vfailover packets sent by a TX retry over the run", "pkts",
            vst["tx_retried"])
    log(f"probe {rate} --tx-retry-us {retry_us} planned: {len(cycles)} cycles, sent {sent}, lost in cycles "
        f"{sum(c['lost'] for c in cycles)}, total lost {rep['totals']['lost']} "
        f"(incl. start-up), vfailover drops {vfo_drops}")


def probe_unplanned(h, args, res, rate):
    """Unplanned cycles at 'rate': the VF is a net_tap port (vfprobe's port 0
    is an af_packet port on the tap's kernel side), the backup a memif
    client of vfprobe's port 1.  The host sends on the backup path only;
    vfailover forwards out of its VF; the tap is taken down: the packets
    vfailover sent there until it moved TX to the backup are lost, and so
    is whatever the tap held.  Loss per cycle from the sequence gaps;
    link down -> TX on backup from vfailover's timeline."""
    tag = f"pu{rate}"
    tap = f"vfc{os.getpid() % 10000}u"
    bk_sock = h.path(f"{tag}-bk.sock")
    tap_add(tap)
    try:
        run = probe_start(h, args, f"probe-{tag}", [
            f"net_af_packet0,iface={tap}",
            f"net_memif1,role=server,socket={bk_sock},id=0"], rate, "1")
        vfo, vctl = probe_vfailover(h, tag, f"net_tap0,iface={tap}",
                                    f"net_memif1,role=client,socket={bk_sock},id=0")
        wait_until(lambda: uplink_status(vctl)["members"]["backup"].get("link_up"), 15,
                   "the backup memif to connect")
        time.sleep(0.5)
        base = [run.stats()["tx"]["sent"]]
        time.sleep(1.0)
        base.append(run.stats()["tx"]["sent"])
        cycles = []
        for i in range(args.cycles):
            c = {"phase": "probe-unplanned", "rate": rate, "cycle": i + 1}
            c["seq_start"] = run.stats()["tx"]["sent"]
            t0 = mono_us()
            set_link(tap, False)
            c["down_ioctl_us"] = mono_us() - t0
            r = timeline_find(vctl, t0, "vf_active", "backup_vf_present")
            c["down_tx_backup_us"] = r["t_us"] - t0
            c["down_event"] = r["event"]
            time.sleep(0.05)
            set_link(tap, True)
            wait_state(vctl, "vf_active", 10, "TX back on the VF", interval=0.005)
            time.sleep(0.05)
            cycles.append(c)
        bounds = [c["seq_start"] for c in cycles] + [run.stats()["tx"]["sent"]]
        lost_rings = uplink_status(vctl)["failover"]["lost_unplanned"]
        rep = probe_finish(run)
        check_eq(vfo.stop(), 0, "vfailover exit status")
    finally:
        link_del(tap)
    pre = f"probe {rate}: unplanned (net_tap VF): "
    for i, c in enumerate(cycles):
        c["lost"] = lost_in(rep, bounds[i], bounds[i + 1])
        res.cycles.append(c)
        res.add(pre + "link down → TX on backup", "us", c["down_tx_backup_us"])
        res.add(pre + "the down ioctl itself (SIOCSIFFLAGS returns)", "us", c["down_ioctl_us"])
        res.add(pre + "switched on the kernel's link event (1) or a poll (0)", "",
                int(c["down_event"] == "link_change"))
        res.add(pre + "lost per cycle (vfprobe sequence gaps)", "pkts", c["lost"])
    res.add(pre + "baseline: lost in 1 s without switches (same run)", "pkts",
            lost_in(rep, base[0], base[1]))
    log(f"probe {rate} unplanned: {len(cycles)} cycles, sent {rep['tx']['sent']}, lost "
        f"{[c['lost'] for c in cycles]}, vfailover's own count (rings, released members) "
        f"{lost_rings}")


def phase_probe(h, args, res):
    """Runs the phase: planned cycles at every rate and retry setting, then
    the unplanned ones."""
    check(os.access(args.vfprobe, os.X_OK), f"{args.vfprobe} is missing (ninja -C build)")
    for rate in args.probe_rates:
        for retry_us in args.probe_tx_retry_us:
            log(f"phase probe: planned cycles at {rate}, --tx-retry-us {retry_us}, "
                f"{args.cycles} cycles")
            probe_planned(h, args, res, rate, retry_us)
    log(f"phase probe: unplanned cycles at {args.unplanned_rate}, {args.cycles} cycles")
    probe_unplanned(h, args, res, args.unplanned_rate)
    h.stop_all()
