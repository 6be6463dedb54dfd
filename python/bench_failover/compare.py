# SPDX-License-Identifier: BSD-3-Clause
"""compare — bench-failover's phase "compare" (unless --no-bonding):
vfailover, DPDK's bonding PMD in active-backup mode (net_bonding0,mode=1,
in a testpmd DUT forwarding io on the bond) and DPDK's fail-safe PMD (net_failsafe0 with two sub-devices, a
testpmd DUT), one after the other in the same run, on the same vdevs:
two net_tap ports (bonding must set its members' MACs; memif cannot) on
persistent taps this script creates with IPv6 off, and a testpmd peer with
net_af_packet ports on the taps' kernel side.  Per DUT, first
--loop-cycles times the loss of two forced switches (vfailover 'prefer',
bonding 'set bonding primary'; fail-safe has no such command) in a
closed loop (population check as in the loop phase); then --loop-cycles
times, with paced traffic on both paths (5 frames per ms per path, from
an AF_PACKET socket of this script), a forced switch to the backup and
back and the VF tap's link taken down and up, each timed from the
command to the first packet the kernel counts on the tap of the new
path.  A DUT that does not move to the backup within 3 s counts as
"never".

"""
import os
import socket
import threading
import time

from vfolib.checks import Failure, log, mono_us, wait_stable, wait_until
from vfolib.ctl import ctl
from vfolib.failover import state
from vfolib.netns import kernel_rx, link_del, set_link, tap_add

from .rig import LOOP_BURSTS, LOOP_PEER_ARGS, loop_population, peer


# DUTs compared, in order.
COMPARE_DUTS = ("vfailover", "bonding", "failsafe")
# How long a DUT gets to move traffic to the backup path on link loss.
UNPLANNED_WAIT_S = 3.0


def make_taps(tag):
    """Creates two persistent taps (vfolib.netns.tap_add: IPv6 off, so the
    loop's packet population stays exact; up, since DPDK 22.11's bond does
    not bring its net_tap members up and misses the link event when they
    are brought up later); returns their names."""
    names = (f"vfc{tag}a", f"vfc{tag}b")
    for n in names:
        tap_add(n)
    return names


class CompareDut:
    """One DUT of the comparison on taps (a, b): 'vfailover' (its own
    binary), 'bonding' or 'failsafe' (dpdk-testpmd forwarding io on the
    bonded / fail-safe port), and the af_packet peer on the taps' kernel
    side (peer port 0 = VF path, port 1 = backup path)."""

    def __init__(self, h, kind, taps):
        self.h, self.kind, self.taps = h, kind, taps
        a, b = taps
        members = [f"net_tap0,iface={a}", f"net_tap1,iface={b}"]
        self.ctl_path = h.path(f"cmp-{kind}-ctl.sock")
        if kind == "vfailover":
            self.vfo = h.vfailover("cmp-vfailover", [
                "--vf", members[0], "--backup", members[1], "--fwd", "io",
                "--ctl", self.ctl_path, "--stats-interval", "0"], ctl_path=self.ctl_path)
        elif kind == "bonding":
            self.dut = peer(h, "cmp-bonding", members + [
                "net_bonding0,mode=1,slave=net_tap0,slave=net_tap1,primary=net_tap0"],
                ["--port-topology=loop", "--forward-mode=io"], "0@0,1@1", "0", lsc=True)
            # (With --disable-device-start and 'port start 2' instead, the bond
            # comes up but its net_tap members pass nothing: DPDK 22.11.)
            wait_until(lambda: "Active Slaves (2): [0 1]" in self.dut.cmd(
                "show bonding config 2"), 15, "both bond members active")
            self.dut.cmd("set portlist 2")
            self.dut.cmd("start")
        else:
            self.dut = peer(h, "cmp-failsafe", [
                f"net_failsafe0,dev({members[0]}),dev({members[1]})"],
                ["--port-topology=loop", "--forward-mode=io"], "0@0,1@1", "0", lsc=True)
            self.dut.cmd("start")
        self.peer = peer(h, f"cmp-peer-{kind}", [
            f"net_af_packet0,iface={a}", f"net_af_packet1,iface={b}"], LOOP_PEER_ARGS)

    def force(self, to_backup):
        """A forced switch (to_backup None: none, just ask); returns False
        when the DUT has no such command."""
        if self.kind == "failsafe":
            return False  # fail-safe: no command moves TX between sub-devices
        if to_backup is None:
            return True
        if self.kind == "vfailover":
            ctl(self.ctl_path, "prefer", member="backup" if to_backup else "vf")
        else:
            self.dut.cmd(f"set bonding primary {1 if to_backup else 0} 2")
        return True

    def back_on_vf(self):
        """True when the DUT transmits on the VF path again (or always has)."""
        if self.kind == "vfailover":
            return state(self.ctl_path) == ("vf_active", "vf")
        if self.kind == "bonding":
            return "Active Slaves (2): [0 1]" in self.dut.cmd("show bonding config 2")
        return True

    def stop(self):
        """Stops the peer first (its af_packet sockets sit on the taps)."""
        self.peer.quit()
        if self.kind == "vfailover":
            self.vfo.stop()
        else:
            self.dut.cmd("stop")
            self.dut.quit()


def first_kernel_rx_after(iface, t0, timeout):
    """Waits until kernel_rx(iface) stops being flat (read at t0's call);
    returns the µs from t0, or None after 'timeout' s."""
    base = kernel_rx(iface)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        time.sleep(0.00005)
        if kernel_rx(iface) != base:
            return mono_us() - t0
    return None


def wait_kernel_rx_flat(iface, quiet=0.05, timeout=5):
    """Waits until 'iface' has received nothing for 'quiet' s."""
    wait_stable(lambda: kernel_rx(iface), timeout, f"{iface}'s RX count", settle=quiet,
                interval=0.01)


class OpenLoop:
    """Paced traffic into the DUT on both paths, from the kernel side of the
    taps (AF_PACKET): 'per_ms' 60 B frames per path every millisecond, from
    a thread of this script.  Light on the CPU (the DUT's control thread and
    the script share one), unlike a spinning testpmd txonly peer."""

    def __init__(self, taps, per_ms=5):
        self.socks = []  # one AF_PACKET socket per tap
        for t in taps:
            sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            sk.bind((t, 0))
            self.socks.append(sk)
        # Broadcast UDP/IPv4 from 02:00:00:00:00:fe (RFC 2544 test range).
        self.frame = bytes.fromhex("ffffffffffff" "0200000000fe" "0800"
                                   "4500002e00000000401100000ac612010ac61301"
                                   "000900090010" "0000") + bytes(18)
        self.per_ms = per_ms
        self.run = True
        self.thread = threading.Thread(target=self._send, daemon=True)
        self.thread.start()

    def _send(self):
        nxt = time.monotonic()
        while self.run:
            for sk in self.socks:
                for _ in range(self.per_ms):
                    try:
                        sk.send(self.frame)
                    except OSError:
                        pass  # the interface is down: the path is dead
            nxt += 0.001
            time.sleep(max(0.0, nxt - time.monotonic()))

    def stop(self):
        self.run = False
        self.thread.join()
        for sk in self.socks:
            sk.close()


def compare_closed_cycle(d, i, res):
    """Loss of two forced switches on DUT 'd' (where it has them) in the
    closed loop of the other phases (population check).  These cycles run
    before the open-loop ones: after a link has been taken down and up, the
    rig hands back packets it held (a population check then counts one burst
    more than was sent), whichever DUT it is."""
    c = {"phase": "compare-closed", "dut": d.kind, "cycle": i + 1}
    pre = f"compare {d.kind}: "
    t_start = time.monotonic()
    d.peer.cmd(f"start tx_first {LOOP_BURSTS}")
    time.sleep(0.2)
    d.force(True)
    time.sleep(0.2)
    d.force(False)
    time.sleep(0.2)
    start, end, rx, secs = loop_population(d.peer, (0, 1), t_start)
    c["population"], c["lost"] = start, start - end
    c["rate_mpps"] = rx / secs / 1e6
    res.cycles.append(c)
    res.add(pre + "lost over 2 forced switches, closed loop (population check)", "pkts",
            c["lost"])
    res.add(pre + "closed loop's peer RX rate (cycle average)", "Mpps", c["rate_mpps"])
    log(f"compare {d.kind} closed {i + 1}: population {start} -> {end} (lost {c['lost']}) "
        f"at {c['rate_mpps']:.2f} Mpps")


def compare_cycle(d, i, res):
    """One cycle on DUT 'd'.  Times, with paced traffic on both paths (open
    loop): a forced switch to the backup and back (where the DUT has one),
    then the VF path's link taken away and given back; "TX on the backup"
    is the first packet the kernel counts on the backup tap."""
    c = {"phase": "compare", "dut": d.kind, "cycle": i + 1}
    pre = f"compare {d.kind}: "
    a, b = d.taps
    src = OpenLoop(d.taps)
    try:
        # Does the DUT forward at all (onto the VF path)?
        c["passes_traffic"] = first_kernel_rx_after(a, mono_us(), 1.0) is not None
        res.add(pre + "forwards the paced traffic onto the VF tap (1 = yes)", "pkts",
                int(c["passes_traffic"]))
        if not c["passes_traffic"]:
            res.cycles.append(c)
            log(f"compare {d.kind} {i + 1}: no packet reached the VF tap in 1 s")
            return
        if d.force(None):
            wait_kernel_rx_flat(b)
            t0 = mono_us()
            d.force(True)
            c["forced_backup_us"] = first_kernel_rx_after(b, t0, UNPLANNED_WAIT_S)
            wait_kernel_rx_flat(a)
            t0 = mono_us()
            d.force(False)
            c["forced_vf_us"] = first_kernel_rx_after(a, t0, UNPLANNED_WAIT_S)
        wait_kernel_rx_flat(b)
        t0 = mono_us()
        set_link(a, False)
        c["unplanned_backup_us"] = first_kernel_rx_after(b, t0, UNPLANNED_WAIT_S)
        time.sleep(0.1)
        set_link(a, True)
        wait_until(d.back_on_vf, 10, f"{d.kind} back on the VF path", interval=0.02)
    finally:
        src.stop()
    res.cycles.append(c)
    for key, label in (("forced_backup_us", "forced switch → first packet on backup tap"),
                       ("forced_vf_us", "forced switch back → first packet on VF tap"),
                       ("unplanned_backup_us", "link down → first packet on backup tap")):
        if key in c:
            if c[key] is not None:
                res.add(pre + label, "us", c[key])
            res.add(pre + label + f": none within {UNPLANNED_WAIT_S:g} s (1 = never)", "pkts",
                    1 if c[key] is None else 0)
    log(f"compare {d.kind} {i + 1}: forced {c.get('forced_backup_us')} / "
        f"{c.get('forced_vf_us')} us; link down -> backup {c['unplanned_backup_us']} us")


def phase_compare(h, args, res):
    """Phase "compare": vfailover, bonding mode 1 and fail-safe on the same
    net_tap vdevs."""
    for kind in COMPARE_DUTS:
        log(f"phase compare: {kind} on net_tap members, {args.loop_cycles} cycles")
        taps = make_taps(os.getpid() % 10000)
        d = None
        try:
            d = CompareDut(h, kind, taps)
            if d.force(None):
                for i in range(args.loop_cycles):
                    compare_closed_cycle(d, i, res)
            for i in range(args.loop_cycles):
                compare_cycle(d, i, res)
        except (Failure, OSError) as e:
            why = f"{kind}: {type(e).__name__}: {e}"
            log(f"compare {why}")
            res.notes.append(f"comparison cycle failed: {why}")
        finally:
            if d is not None:
                try:
                    d.stop()
                except (Failure, OSError):
                    pass
            h.stop_all()
            for t in taps:
                link_del(t)
