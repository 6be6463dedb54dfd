# SPDX-License-Identifier: BSD-3-Clause
"""rig — what bench-failover's phases share: a dpdk-testpmd peer serving two
memif sockets (port 0 = the VF path, port 1 = the backup path) with one
vfailover on them, exact-count rounds, the closed loop's population check,
and how a failed cycle is recorded.

Cores: the peer forwards on lcore 0 and reads commands on lcore 1, both on
CPU 0 (--lcores 0@0,1@0), so that the script's commands never take CPU 1
from vfailover's forwarding lcore (-l 1) or the bond DUT's (lcore 1 on
CPU 1); vfailover's control thread runs on CPU 0 with the peer, so on a
2-CPU machine the times under load include waiting for that CPU.
"""
import re
import time

from vfolib.checks import check_eq, log, wait_stable, wait_until
from vfolib.failover import find_record, members_up, state, uplink_status
from vfolib.rounds import exact_round
from vfolib.testpmd import BURST

ROUND_BURSTS = 8  # 256 packets per exact round
LOOP_BURSTS = 4  # tx_first bursts per peer port in the loop phases
# The peer forwards on lcore 0 and takes commands on lcore 1, both on CPU 0.
PEER_LCORE_MAP, PEER_MAIN = "0@0,1@0", "1"
# The peer of the loop phases: a closed io loop it counts at the end.
LOOP_PEER_ARGS = ["--port-topology=loop", "--forward-mode=io", "--no-flush-rx"]


def peer(h, name, vdevs, args, lcore_map=PEER_LCORE_MAP, main_lcore=PEER_MAIN, lsc=False):
    """A testpmd peer or DUT with an EAL --lcores map (lcore@cpu), so that
    its main lcore, which runs the commands the script sends, does not
    share a CPU with the DUT's forwarding lcore."""
    return h.testpmd(name, vdevs, args, main_lcore=main_lcore, lcore_map=lcore_map, lsc=lsc)


class Rig:
    """Peer (port 0 = VF path, port 1 = backup path) and vfailover."""

    def __init__(self, h, tag, link_poll_us, peer_args):
        self.h = h  # the Harness
        self.tag = tag  # names of its processes and sockets
        self.ctl_path = h.path(f"{tag}-ctl.sock")  # vfailover's control socket
        vf_sock, bk_sock = h.path(f"{tag}-vf.sock"), h.path(f"{tag}-bk.sock")
        self.peer = peer(h, f"peer-{tag}", [
            f"net_memif0,role=server,socket={vf_sock},id=0",
            f"net_memif1,role=server,socket={bk_sock},id=0"], peer_args)
        self.vfo = h.vfailover(f"vfo-{tag}", [
            "--vf", f"net_memif0,role=client,socket={vf_sock},id=0",
            "--backup", f"net_memif1,role=client,socket={bk_sock},id=0",
            "--fwd", "io", "--ctl", self.ctl_path, "--stats-interval", "0",
            "--link-poll-us", str(link_poll_us)], ctl_path=self.ctl_path)
        wait_until(lambda: members_up(self.ctl_path), 15, "both memif members to come up")

    def state(self):
        """(failover state, active member)."""
        return state(self.ctl_path)

    def failover(self):
        """The uplink's failover status."""
        return uplink_status(self.ctl_path)["failover"]

    def find(self, since_us, frm, to, event=None, timeout=10.0):
        """Waits for the first timeline record frm->to (and 'event') with
        t_us >= since_us; returns it."""
        return find_record(self.ctl_path, since_us, frm, to, event, timeout)

    def stop(self):
        """Stops vfailover (it must exit 0) and the peer."""
        check_eq(self.vfo.stop(), 0, f"vfo-{self.tag} exit status after SIGTERM")
        self.peer.quit()

    def exact_round(self, port, member):
        """ROUND_BURSTS bursts on 'port' through 'member', every one back
        (vfolib.rounds.exact_round); returns the packets sent."""
        return exact_round(self.peer, self.ctl_path, port, member, ROUND_BURSTS)


def detail_us(rec, pattern):
    """Extracts an integer (µs) from a timeline record's detail with 'pattern'."""
    m = re.search(pattern, rec["detail"])
    return int(m.group(1)) if m else None


def cycle_failed(h, rig, where, e, res):
    """Records a failed cycle (with how vfailover ended if it died) and
    stops the run's processes; the caller starts a new rig."""
    why = f"{where}: {type(e).__name__}: {e}"
    if rig is not None and not rig.vfo.running():
        rc = rig.vfo.popen.returncode
        tail = [ln for ln in rig.vfo.stderr().splitlines() if ln.startswith("vfailover:")][-3:]
        why += f"; vfailover exited with {rc}" + (f" (signal {-rc})" if rc < 0 else "") + \
            "; its last lines: " + " | ".join(tail)
    log(f"FAILED {why}")
    res.failures.append(why)
    h.stop_all()


def loop_population(peer, ports, t_start):
    """Stops the peer's io loop; returns (packets in flight when stopped,
    packets counted after the drain, peer RX packets, seconds)."""
    fs = peer.stop_fwd()
    secs = time.monotonic() - t_start
    # In io/loop mode every port sends what it receives plus its tx_first
    # bursts: TX - RX is what was still out in the loop when it stopped.
    sent_first = LOOP_BURSTS * BURST * len(ports)
    tx = sum(fs[p]["tx"] for p in ports)
    rx = sum(fs[p]["rx"] for p in ports)
    txd = sum(fs[p]["tx_dropped"] for p in ports)
    check_eq(tx - rx + txd, sent_first, "peer: TX - RX + TX-dropped == tx_first packets")
    time.sleep(0.2)  # the DUT reflects what it still holds into the peer's RX rings
    peer.cmd("set fwd rxonly")
    peer.cmd("start")
    wait_stable(lambda: sum(peer.port_stats(p)["rx"] for p in ports), 10,
                "the drain of the peer's RX rings", settle=0.3, interval=0.05)
    fs2 = peer.stop_fwd()
    drained = sum(fs2[p]["rx"] for p in ports)
    peer.cmd("set fwd io")
    return sent_first - txd, drained, rx, secs
