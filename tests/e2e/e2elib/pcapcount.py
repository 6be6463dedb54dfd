# SPDX-License-Identifier: BSD-3-Clause
"""pcapcount — the study's outside check: sent, received, lost and the
longest gap of a vfprobe stream, counted from tcpdump's captures alone.

    c = count(["pvb.pcap", "pbb.pcap"], probe_mac, guest_mac)
    c["sent"], c["received"], c["lost"], c["longest_gap_us"], c["gap"]

Independent of vfprobe by construction: it shares no code with it (not
its parser, its analyzer nor its clock) and reads only what the kernel's
capture saw on the host side of each path.  The frame format is the
documented one (docs: vfprobe's probe packets): Ethernet (one optional
802.1Q tag), IPv4, UDP to port 49152 + stream, then the payload: "FV"
(magic 0x5646, little-endian), the 64-bit sequence number, the sender's
TSC.  Classic pcap files only (tcpdump -w), microsecond or nanosecond
timestamps, either byte order.

A frame from probe_mac to guest_mac is a packet sent; from guest_mac to
probe_mac, one received.  lost = sequence numbers sent and never received;
the longest gap is the longest time between two consecutive receptions
(in capture time, across all files), from the first reception to the last.
"""
import struct

MAGIC = 0x5646
UDP_PORT_BASE = 49152
MAX_STREAMS = 256


def _mac(s):
    """Returns MAC text 'aa:bb:...' as 6 bytes."""
    return bytes(int(x, 16) for x in s.split(":"))


def frames(path):
    """Yields (time µs, raw frame bytes) of every record of pcap file 'path'."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        for order in ("<", ">"):
            magic = struct.unpack(order + "I", head[:4])[0]
            if magic in (0xA1B2C3D4, 0xA1B23C4D):
                break
        else:
            raise ValueError(f"{path}: not a classic pcap file (pcapng? use tcpdump -w)")
        div = 1000 if magic == 0xA1B23C4D else 1  # ns -> µs
        link = struct.unpack(order + "I", head[20:24])[0]
        if link != 1:
            raise ValueError(f"{path}: link type {link}, not Ethernet")
        rec = struct.Struct(order + "IIII")
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            sec, frac, caplen, _ = rec.unpack(h)
            data = f.read(caplen)
            yield sec * 1000000 + frac // div, data


def probe_packet(data):
    """Returns (dst MAC, src MAC, stream, seq) of a probe frame, or None."""
    if len(data) < 14:
        return None
    off, etype = 12, struct.unpack(">H", data[12:14])[0]
    if etype == 0x8100:
        off, etype = 16, struct.unpack(">H", data[16:18])[0]
    ip = off + 2
    if etype != 0x0800 or len(data) < ip + 20:
        return None
    ihl = (data[ip] & 0x0F) * 4
    if data[ip + 9] != 17:
        return None
    udp = ip + ihl
    if len(data) < udp + 8 + 10:
        return None
    dport = struct.unpack(">H", data[udp + 2:udp + 4])[0]
    magic, seq = struct.unpack("<HQ", data[udp + 8:udp + 18])
    if magic != MAGIC or not UDP_PORT_BASE <= dport < UDP_PORT_BASE + MAX_STREAMS:
        return None
    return data[0:6], data[6:12], dport - UDP_PORT_BASE, seq


def packets(paths, probe_mac, guest_mac, stream=0):
    """Returns (sent, received): lists of (time µs, seq, file index) of the
    stream's probe packets in the captures, in time order."""
    pm, gm = _mac(probe_mac), _mac(guest_mac)
    sent, received = [], []
    for i, path in enumerate(paths):
        for t, data in frames(path):
            p = probe_packet(data)
            if p is None or p[2] != stream:
                continue
            dst, src, _, seq = p
            if src == pm and dst == gm:
                sent.append((t, seq, i))
            elif src == gm and dst == pm:
                received.append((t, seq, i))
    sent.sort()
    received.sort()
    return sent, received


def rarps(path, mac):
    """Returns [(time µs, frame length)] of the RARP frames (EtherType
    0x8035) that 'mac' broadcast in pcap file 'path'."""
    m = _mac(mac)
    return [(t, len(d)) for t, d in frames(path)
            if len(d) >= 14 and d[0:6] == b"\xff" * 6 and d[6:12] == m and d[12:14] == b"\x80\x35"]


def count(paths, probe_mac, guest_mac, stream=0, until_us=None, min_gap_us=0):
    """Returns the outside check's figures over the captures 'paths': sent,
    received (distinct sequence numbers), lost (sent, never received),
    duplicates, longest_gap_us and gap (its start and end µs, the sequence
    numbers around it, the file index it ended on).  Receptions after
    'until_us' (the end of the receiver's window) do not count.  A gap is
    the time between two consecutive receptions; with 'min_gap_us', one
    shorter than that counts only if sequence numbers are missing between
    them (the receiver's own definition: vfprobe reports no shorter silence
    without loss), and longest_gap_any_us keeps the longest of all."""
    sent, received = packets(paths, probe_mac, guest_mac, stream)
    if until_us is not None:
        received = [r for r in received if r[0] <= until_us]
    sent_seqs = {s for _, s, _ in sent}
    got = {s for _, s, _ in received}
    gap, any_gap = None, 0
    for a, b in zip(received, received[1:]):
        any_gap = max(any_gap, b[0] - a[0])
        if b[0] - a[0] < min_gap_us and b[1] == a[1] + 1:
            continue
        if gap is None or b[0] - a[0] > gap["end_us"] - gap["start_us"]:
            gap = {"start_us": a[0], "end_us": b[0], "seq_before": a[1], "seq_after": b[1],
                   "file": b[2]}
    return {
        "sent": len(sent_seqs),
        "received": len(got),
        "lost": len(sent_seqs - got),
        "duplicates": len(received) - len(got),
        "longest_gap_us": gap["end_us"] - gap["start_us"] if gap else 0,
        "longest_gap_any_us": any_gap,
        "gap": gap,
        "first_rx_us": received[0][0] if received else None,
        "last_rx_us": received[-1][0] if received else None,
    }
