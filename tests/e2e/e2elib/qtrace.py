# SPDX-License-Identifier: BSD-3-Clause
"""qtrace — QEMU's own account of a run, from its trace log (vm.py's
TRACE_EVENTS, log backend: "PID@SEC.USEC:event args", wall-clock µs).

    t = read("src.trace")
    t["rx"]        # wall µs of every frame QEMU put into the virtio NIC's RX ring
    t["tx"]        # ... of every frame it took from the TX ring and sent
    t["stopped"]   # when the VM stopped running (vm_state_notify running 0)
    t["running"]   # when it ran (vm_state_notify running 1)
    t["announce"]  # when QEMU asked the guest to announce itself (it sets
                   # VIRTIO_NET_S_ANNOUNCE and raises a config interrupt)

The virtio NIC's queues are told apart by what QEMU hands back: an RX
buffer comes back with the frame's length (60 B probe frames + the 12 B
virtio-net header: 72), a TX buffer with 0; the RX queue is the virtqueue
with the most 72 B fills, the TX queue the one with the most 0 B fills
(the virtio-serial control channel's queues carry other lengths and far
fewer buffers), and every fill on them counts.  QEMU must run with
-msg timestamp=on for the stamps.
"""
import collections
import re

LINE = re.compile(r"^\d+@(\d+)\.(\d+):(\w+) (.*)$")
RX_LEN = 72


def read(path):
    """Returns {"rx", "tx", "stopped", "running", "announce"}
    (lists of wall µs) from QEMU trace log 'path' (empty lists when it is
    missing)."""
    fills = collections.defaultdict(list)  # vq -> [(µs, len)]
    out = {k: [] for k in ("rx", "tx", "stopped", "running", "announce")}
    try:
        f = open(path, errors="replace")
    except OSError:
        return out
    with f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            t = int(m.group(1)) * 1000000 + int(m.group(2))
            ev, args = m.group(3), m.group(4)
            if ev == "virtqueue_fill":
                a = args.split()
                # vq 0x... elem 0x... len N idx I
                fills[a[1]].append((t, int(a[5])))
            elif ev == "vm_state_notify":
                out["running" if args.startswith("running 1") else "stopped"].append(t)
            elif ev == "virtio_net_announce_notify":
                out["announce"].append(t)
    def most(length):
        """The virtqueue with the most fills of 'length'."""
        return max(fills, key=lambda vq: sum(1 for _, n in fills[vq] if n == length),
                   default=None)
    rx, tx = most(RX_LEN), most(0)
    if rx:
        out["rx"] = [t for t, _ in fills[rx]]
    if tx and tx != rx:
        out["tx"] = [t for t, _ in fills[tx]]
    return out
