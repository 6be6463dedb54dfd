#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""make_seeds.py: writes the seed corpora of the fuzz harnesses (stdlib only).

    tests/fuzz/make_seeds.py [CORPUS_DIR]     (default: tests/fuzz/corpus)

Seeds are small valid (and a few near-valid) inputs in each harness's input
format (see the comment at the top of each fuzz_*.c); the fuzzer mutates
from them.  Files are named seed-*; inputs of fixed findings are added by
hand as regression-* and never rewritten here.  The output is
deterministic: run it again and commit what changes.
"""
import glob
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))


def write(corpus, harness, name, data):
    d = os.path.join(corpus, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"seed-{name}"), "wb") as f:
        f.write(data)


def args(*a):
    return b"\0".join(x.encode() for x in a)


def ether(etype, vlan=None):
    h = bytes.fromhex("020000000002" "020000000001")
    if vlan is not None:
        h += struct.pack(">HH", 0x8100, vlan)
    return h + struct.pack(">H", etype)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f">{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(proto, src, dst, payload, frag=0, ihl=5):
    opts = b"\0" * (4 * (ihl - 5))
    h = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(payload), 0, frag,
                    64, proto, 0, bytes(src), bytes(dst)) + opts
    h = h[:10] + struct.pack(">H", csum(h)) + h[12:]
    return h + payload


def probe(stream, seq, tsc=0, flow=1024, vlan=None, size=60):
    """A vfprobe frame (probe/vfp.h): UDP to port 49152 + stream, payload
    magic 'VF', seq, tsc (little-endian), zero padded to 'size' bytes."""
    pl = struct.pack("<HQQ", 0x5646, seq, tsc)
    hdr_len = 14 + (4 if vlan is not None else 0) + 20 + 8
    pl += b"\0" * max(0, size - hdr_len - len(pl))
    udp = struct.pack(">HHHH", flow, 49152 + stream, 8 + len(pl), 0) + pl
    return ether(0x0800, vlan) + ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], udp)


def udp_frame(sport, dport, src=(10, 0, 0, 1), proto=17, vlan=None, frag=0):
    l4 = struct.pack(">HHHH", sport, dport, 8, 0) + b"\0" * 18
    return ether(0x0800, vlan) + ipv4(proto, list(src), [10, 0, 0, 9], l4, frag)


def pcap(frames, snap=65535, linktype=1):
    """A classic pcap file (µs timestamps) of (t_us, frame[, wirelen])."""
    out = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snap, linktype)
    for f in frames:
        t, data = f[0], f[1]
        wire = f[2] if len(f) > 2 else len(data)
        data = data[:snap]
        out += struct.pack("<IIII", t // 1000000, t % 1000000, len(data), wire) + data
    return out


def cmdline(corpus):
    memif = "net_memif{},role=client,socket=/tmp/vfo-fz-{}.sock,id=0"
    write(corpus, "cmdline", "minimal", args("--vf", "net_null0", "--backup", "net_null1"))
    write(corpus, "cmdline", "every-option", args(
        "--vf", memif.format(0, "vf"), "--backup", memif.format(1, "bk"), "--mac",
        "02:00:00:00:00:01", "--ip", "10.0.0.1", "--peer-mac", "02:00:00:00:00:02",
        "--arp-target", "10.0.0.2", "--vlan", "100,200", "--name", "up0", "--fwd", "flow",
        "--max-flows", "1000", "--flow-idle-ms", "500", "--burst", "64", "--drain-us", "50",
        "--tx-retry-us", "100", "--tx-first", "--tx-first-len", "128", "--rxq", "2", "--txq",
        "2", "--rxd", "512", "--txd", "512", "--no-promisc", "--allmulti", "--mtu", "1500",
        "--link-poll-us", "2000", "--no-announce", "--arp-interval-ms", "50", "--arp-missed",
        "2", "--reprobe-down-ms", "0", "--ctl", "/tmp/vfo-fz.sock", "--ctl-serial",
        "/tmp/vfo-fz.pty", "--stats-interval", "0"))
    write(corpus, "cmdline", "two-uplinks", args(
        "--vf", "a0", "--backup", "a1", "--name", "east", "--vf", "b0", "--backup", "b1",
        "--name", "west", "--fwd=macswap"))
    write(corpus, "cmdline", "config-and-options",
          b"[global]\nfwd = mac\nburst = 16\n[uplink a]\nvf = v\nbackup = b\n"
          b"peer-mac = 02:00:00:00:00:09\n\x01" + args("--config", "@", "--burst", "32",
                                                       "--vf", "c", "--backup", "d"))
    write(corpus, "cmdline", "help", args("--vf", "x", "--help"))
    write(corpus, "cmdline", "bad-option", args("--vf", "x", "--backup", "y", "--bogus"))
    write(corpus, "cmdline", "bad-value", args("--vf", "x", "--backup", "y", "--burst", "0"))
    write(corpus, "cmdline", "abbreviated", args("--vf", "x", "--back", "y", "--stats", "5"))


def ini(corpus):
    files = sorted(glob.glob(os.path.join(SRC, "configs", "*.ini")) +
                   glob.glob(os.path.join(SRC, "tests", "unit", "data", "*.ini")))
    for i, path in enumerate(files):
        with open(path, "rb") as f:
            text = f.read()
        write(corpus, "ini", os.path.basename(path)[:-4], bytes([i % 4]) + text)


def flow(corpus):
    def burst(lcore, step, frames):
        out = bytes([(lcore << 7) | (len(frames) - 1), step])
        for fr in frames:
            out += bytes([len(fr)]) + fr
        return out

    def short(sport, dport, src=(10, 0, 0, 1)):
        # The shortest frame with ports: the harness's inputs are 1 KiB.
        return udp_frame(sport, dport, src)[:14 + 20 + 8]

    mixed = [udp_frame(1024, 53), udp_frame(1024, 53), udp_frame(5000, 80, proto=6),
             udp_frame(1, 2, vlan=100), ether(0x0806) + b"\0" * 46,
             ether(0x86dd) + b"\0" * 60, udp_frame(7, 7, frag=0x2000),
             udp_frame(7, 7, frag=185), ether(0x0800) + b"\x45" + b"\0" * 8]
    write(corpus, "flow", "mixed", b"\x00" + burst(0, 1, mixed) + burst(1, 3, mixed[:4]))
    many = [short(1000 + i, 80, src=(10, 1, 0, i)) for i in range(20)]
    write(corpus, "flow", "full-table", b"\x00" + burst(0, 0, many))
    write(corpus, "flow", "aging", b"\x03" + burst(0, 0, many[:10]) + burst(0, 50, many[:2]) +
          burst(0, 50, many[10:20]) + burst(1, 200, many[:3]))


def pkt(corpus):
    write(corpus, "pkt", "probe-60", b"\0\0\x01" + probe(0, 1, 12345))
    write(corpus, "pkt", "probe-vlan", b"\x04\0\x00" + probe(3, 99, 7, vlan=100, size=64))
    write(corpus, "pkt", "probe-1518", b"\0\0\x01" + probe(255, 2 ** 40, 2 ** 50, size=1514))
    write(corpus, "pkt", "not-probe", b"\0\0\x00" + udp_frame(1, 2))
    write(corpus, "pkt", "truncated", b"\x10\0\x00" + probe(0, 1)[:50])


def pcap_seeds(corpus):
    s = [(1000 + 10 * i, probe(0, i)) for i in range(20)]
    write(corpus, "pcap", "in-order", b"\x00" + pcap(s))
    lossy = [s[i] for i in (0, 1, 2, 5, 4, 4, 9, 10, 19)]
    write(corpus, "pcap", "loss-dup-reorder", b"\x04" + pcap(lossy))
    two = [(1000 + 5000 * i, probe(i % 2, i // 2, vlan=7 if i % 3 else None))
           for i in range(12)]
    write(corpus, "pcap", "two-streams-silence", b"\x25" + pcap(two))
    write(corpus, "pcap", "snapped", b"\x80" + pcap(s[:5] + [(99999, udp_frame(1, 2))], snap=50))
    write(corpus, "pcap", "restart", b"\x90" + pcap(
        [(1000 + i, probe(0, 1000 + i)) for i in range(10)] +
        [(2000 + i, probe(0, i)) for i in range(5)]))
    write(corpus, "pcap", "not-ethernet", b"\x00" + pcap(s[:2], linktype=113))


def ctl(corpus):
    def lines(*objs):
        return b"\n".join(o if isinstance(o, bytes) else json.dumps(o).encode() for o in objs)

    session = lines(
        {"cmd": "help"}, {"cmd": "status", "id": 1}, {"cmd": "stats", "id": "two"},
        {"cmd": "flows", "top": 5, "by": "bytes"}, {"cmd": "flows", "uplink": "u1", "reset": True},
        {"cmd": "prepare", "uplink": "u0", "wait": False}, {"cmd": "timeline", "uplink": "u0"},
        {"cmd": "attach", "uplink": "u0", "devargs": "net_pcap9,tx_pcap=/tmp/x"},
        {"cmd": "attach", "uplink": "u0", "devargs": "net_memif0,role=client,fail=1"},
        {"cmd": "attach", "uplink": "u0"}, {"cmd": "prefer", "member": "backup"},
        {"cmd": "prefer", "member": "vf", "uplink": "u1"}, {"cmd": "prepare"},
        {"cmd": "attach", "uplink": "u1", "devargs": "net_null3"}, {"cmd": "quit"})
    bad = lines(b"{not json", b"[1,2,3]", b'{"cmd":5}', b'{"cmd":"nosuch","id":[1]}',
                b'{"cmd":"status","cmd":"stats"}', b"\xff\xfe", b'{"cmd":"st\x00atus"}',
                b"[" * 200 + b"]" * 200, {"cmd": "flows", "top": 10 ** 30},
                {"cmd": "flows", "top": -1}, {"cmd": "attach", "devargs": 5},
                {"cmd": "attach", "devargs": "x" * 600, "uplink": "u0"},
                {"cmd": "prefer", "member": None}, {"cmd": "timeline", "uplink": "nope"},
                b"", b"   ", b'{"cmd":"status","id":1e400}')
    for mode, name in ((b"\x00", "lines"), (b"\x01", "socket")):
        write(corpus, "ctl", f"session-{name}", mode + session)
        write(corpus, "ctl", f"bad-{name}", mode + bad)
    write(corpus, "ctl", "socket-long-line", b"\x01" + b'{"cmd":"help","x":"' + b"a" * 66000 +
          b'"}\n{"cmd":"status"}\n{"cmd":"sta')


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    cmdline(corpus)
    ini(corpus)
    flow(corpus)
    pkt(corpus)
    pcap_seeds(corpus)
    ctl(corpus)


if __name__ == "__main__":
    main()
