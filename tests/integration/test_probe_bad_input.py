#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""probe_bad_input: vfprobe and vfprobe-offline refuse bad input clearly.

Each bad command line must exit with the documented status (2: bad option,
1: start-up failure) and print one error line naming the culprit: bad
rates, sizes, MACs, IPs, port lists, no port, an unknown option, a port
whose devargs do not probe, a pcap or JSON file that cannot be written, a
--ctl path that is not a socket, an unreadable pcap for vfprobe-offline.

    test_probe_bad_input.py VFPROBE SOURCE_DIR VFPROBE_OFFLINE VFP_DUT
"""
import vfotest
import vfptest
from vfotest import check, check_eq

# (options after --port net_ring0, exit status, text the error must hold)
BAD_OPTIONS = [
    (["--rate", "fast"], 2, "--rate 'fast'"),
    (["--rate", "0"], 2, "--rate '0'"),
    (["--rate", "150%"], 2, "--rate '150%'"),
    (["--rate", "-5k"], 2, "--rate '-5k'"),
    (["--size", "63"], 2, "--size '63'"),
    (["--size", "9001"], 2, "--size '9001'"),
    (["--src-mac", "00:11:22:33:44"], 2, "--src-mac '00:11:22:33:44'"),
    (["--dst-mac", "zz:11:22:33:44:55"], 2, "--dst-mac 'zz:11:22:33:44:55'"),
    (["--dst-ip", "1.2.3"], 2, "--dst-ip '1.2.3'"),
    (["--tx", "3"], 2, "port 3 does not exist"),
    (["--tx", "0,0"], 2, "given twice"),
    (["--burst", "0"], 2, "--burst '0'"),
    (["--duration", "abc"], 2, "--duration 'abc'"),
    (["--frobnicate"], 2, "'--frobnicate' unknown"),
    (["--ndr", "--count", "10"], 2, "--ndr"),
]


def test(h):
    p = vfptest.Probe(h)

    def expect(name, argv, rc, text):
        r = h.run(name, argv, timeout=30)
        err = r.stderr()
        check_eq(r.popen.returncode, rc, f"{name}: exit status ({' '.join(argv[-4:])}); "
                 f"stderr: {err[-500:]}")
        check(text in err, f"{name}: error should mention {text!r}; stderr: {err[-500:]}")

    for i, (opts, rc, text) in enumerate(BAD_OPTIONS):
        expect(f"opt{i}", p.argv("0", ["net_ring0"], opts), rc, text)
    expect("noport", p.argv("0", [], ["--count", "10"]), 2, "no --port")
    expect("noprobe", p.argv("0", ["net_nosuch0"], ["--count", "10"]), 1,
           "'net_nosuch0' does not probe")
    expect("pcap", p.argv("0", ["net_ring0"], ["--count", "10", "--pcap", "/nonexistent/x.pcap"]),
           1, "/nonexistent/x.pcap")
    open(h.path("file"), "w").close()
    expect("ctl", p.argv("0", ["net_ring0"], ["--count", "10", "--ctl", h.path("file")]), 1,
           "not a socket")
    expect("json", p.argv("0", ["net_ring0"], ["--count", "10", "--json", "/nonexistent/x.json"]),
           1, "/nonexistent/x.json")
    expect("offline", [p.offline_bin, h.path("nosuch.pcap")], 1, "cannot read pcap file")
    with open(h.path("notpcap"), "w") as f:
        f.write("hello\n")
    expect("offline2", [p.offline_bin, h.path("notpcap")], 1, "notpcap")


if __name__ == "__main__":
    vfotest.main(test, "probe_bad_input")
