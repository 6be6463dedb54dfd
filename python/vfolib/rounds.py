# SPDX-License-Identifier: BSD-3-Clause
"""rounds — exact-count traffic rounds through vfailover with a testpmd peer.

    exact_round(peer, ctl_path, 0, "vf", bursts=8)   # 256 packets out and back

The peer (vfolib.testpmd.TestPmd, --port-topology=loop, rxonly between
rounds) sends BURSTS bursts of 32 on one port; vfailover reflects them
(--fwd io) through one member of uplink 0 and every packet must come back:
the peer's TX and RX, vfailover's member counters, no drop anywhere.
"""
from .checks import check_eq, log, wait_until
from .ctl import member_stats
from .testpmd import BURST


def exact_round(peer, ctl_path, port, member, bursts, verbose=False):
    """The peer sends 'bursts' bursts on 'port' (0: VF path, 1: backup path)
    and must get all back on the same port; vfailover's 'member' carries
    them both ways.  Returns the packets sent (Failure when one is
    missing or dropped)."""
    want = bursts * BURST
    before = member_stats(ctl_path)
    peer_rx0 = peer.port_stats(port)["rx"]
    peer.cmd(f"set portlist {port}")
    peer.cmd(f"start tx_first {bursts}")
    wait_until(lambda: member_stats(ctl_path)["members"][member]["tx_pkts"] -
               before["members"][member]["tx_pkts"] >= want, 20,
               f"vfailover to send {want} packets back on {member}", interval=0.01)
    # Everything vfailover sent has reached the peer once its RX count has
    # grown by 'want'; vfailover's TX count is checked to be exactly 'want'
    # below, so nothing more can still be on its way.
    wait_until(lambda: peer.port_stats(port)["rx"] - peer_rx0 >= want, 10,
               "the peer's RX count", interval=0.01)
    fs = peer.stop_fwd()[port]
    after = member_stats(ctl_path)
    if verbose:
        log(f"round on port {port} ({member}): peer {fs}")
    check_eq((fs["tx"], fs["rx"], fs["tx_dropped"]), (want, want, 0),
             f"peer TX / RX / TX-dropped on port {port}")
    for c in ("rx_pkts", "tx_pkts"):
        check_eq(after["members"][member][c] - before["members"][member][c], want,
                 f"vfailover {member} {c}")
    check_eq({k: after["drops"][k] - before["drops"][k] for k in after["drops"]},
             {k: 0 for k in after["drops"]}, "vfailover drops")
    return want
