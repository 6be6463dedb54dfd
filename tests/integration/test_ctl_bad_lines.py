#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ctl_bad_lines: 3,000 malformed control lines while traffic flows.

The issue's "tried as a new user" campaign, automated.  vfailover reflects
a testpmd peer over two memif members (the protocol also on a pty with
--ctl-serial, as the host's virtio-serial channel).  A thread sends 3,000
malformed lines to the control socket (2,700) and the serial port (300),
one at a time, of every kind: random bytes (NUL, bytes not UTF-8), broken
JSON, 100,000-deep nesting, 70 KB lines, strings that are not UTF-8,
numbers out of range, JSON that is not an object, no or a non-string
"cmd", unknown commands, known commands with bad arguments (including
attach devargs the policy refuses, and prepare with an unknown uplink),
duplicate keys.  Meanwhile the test runs traffic rounds without pause: the
peer sends 256 packets on the VF path and must get every one back.

Checks:
- every line gets exactly one reply, {"ok":false} with a non-empty "error"
  (one line of JSON), carrying the request's "id" when it had one;
- every round during the campaign is exact (peer TX == peer RX, counted by
  the peer; vfailover's VF counters equal; no drop), and there were rounds
  all along (at least one per 500 lines);
- the state is unchanged at the end (VF active, same devargs, no switch)
  and no refused attach created its pcap file.

    test_ctl_bad_lines.py VFAILOVER_BIN SOURCE_DIR
"""
import json
import os
import random
import threading
import time

import vfotest
from vfotest import check, check_eq, log

LINES = 3000
SERIAL_LINES = 300
BURSTS = 8  # 256 packets a round
PACE_S = 0.002  # between two lines: 3,000 lines take 6 s or more, many rounds
PCAP = "/tmp/vfo-bad-lines.pcap"


def bad_lines(rng, n):
    """Returns n malformed request lines (bytes, without newline) and, for
    each, the "id" its reply must carry (None: none)."""
    kinds = [
        lambda: (bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
                 .replace(b"\n", b"?"), None),
        lambda: (rng.choice([b"{", b'{"cmd":', b'{"cmd":"status"', b"{cmd:status}",
                             b'{"cmd":"status",}', b"'cmd'", b"{]", b'{"a":1 "b":2}',
                             b'{"cmd":"status"}}', b"nul", b"tru", b'"\\x"']), None),
        lambda: (b"[" * 100000 + b"]" * 100000, None),
        lambda: (b'{"cmd":"status","pad":"' + b"a" * 70000 + b'"}', None),
        lambda: (b'{"cmd":"st\x00atus"}', None),
        lambda: (b'{"cmd":"\xff\xfe\xc3"}', None),
        lambda: (b'{"cmd":"flows","top":' + rng.choice([b"1e400", b"-1", b"0",
                                                        b"99999999999999999999999",
                                                        b'"10"', b"1001", b"null"]) + b"}",
                 None),
        lambda: (rng.choice([b"[]", b"42", b'"status"', b"null", b"true", b"{}",
                             b'{"cmd":5}', b'{"cmd":null}', b'{"cmd":["status"]}']), None),
        lambda: (b'{"cmd":"status","cmd":"stats"}', None),
    ]

    def with_id(obj):
        rid = rng.choice([rng.randrange(1 << 40), f"r{rng.randrange(1000)}", [1, {"x": 2}]])
        obj["id"] = rid
        return json.dumps(obj).encode(), rid

    objs = [
        lambda: with_id({"cmd": f"nosuch{rng.randrange(100)}"}),
        lambda: with_id({"cmd": "flows", "by": rng.choice([5, "flows", None, ""])}),
        lambda: with_id({"cmd": "flows", "reset": rng.choice(["yes", 1, None])}),
        lambda: with_id({"cmd": "prefer", "member": rng.choice(["vff", 1, None, ""])}),
        lambda: with_id({"cmd": "prepare", "uplink": rng.choice(["nope", 5, ""])}),
        lambda: with_id({"cmd": "prepare", "wait": rng.choice(["yes", 1, None])}),
        lambda: with_id({"cmd": "attach", "devargs": rng.choice([
            5, "", "net_pcap9,tx_pcap=" + PCAP, "x" * 600,
            "bus=vdev,name=net_null0", "0000:00:05.0"])}),
        lambda: with_id({"cmd": "attach"}),  # the VF is active: refused, nothing changes
        lambda: with_id({"cmd": "timeline", "uplink": rng.choice([5, "nope", None])}),
    ]
    out = []
    for i in range(n):
        if i % 2 == 0:
            out.append(rng.choice(kinds)())
        else:
            out.append(rng.choice(objs)())
    return out


def check_reply(rep, rid, what):
    """Checks one reply to a malformed line."""
    check(isinstance(rep, dict) and rep.get("ok") is False,
          f"{what}: want an error reply, got {str(rep)[:300]}")
    check(isinstance(rep.get("error"), str) and rep["error"],
          f"{what}: the error has no text: {rep}")
    if rid is not None:
        check_eq(rep.get("id"), rid, f"{what}: the reply's id")


def snapshot(f):
    """Returns (failover state, active member, VF devargs, switches)."""
    up = vfotest.ctl(f.ctl_path, "status")["uplinks"][0]
    return (up["failover"]["state"], up["active"], up["members"]["vf"]["devargs"],
            up["failover"]["switches"])


class Campaign(threading.Thread):
    """Sends the bad lines and checks their replies; 'done' counts them,
    'error' holds the first failure."""

    def __init__(self, f, serial, lines):
        super().__init__(daemon=True)
        self.f, self.serial, self.lines = f, serial, lines
        self.done = 0
        self.error = None

    def run(self):
        try:
            c = vfotest.Ctl(self.f.ctl_path, timeout=10)
            for i, (line, rid) in enumerate(self.lines):
                if i >= LINES - SERIAL_LINES:
                    self.serial.send_raw(line + b"\n")
                    check_reply(self.serial.read_reply(10), rid, f"serial line {i}")
                else:
                    c.send_raw(line + b"\n")
                    check_reply(c.read_reply(), rid, f"socket line {i}")
                self.done = i + 1
                time.sleep(PACE_S)  # spread over several traffic rounds
            c.close()
        except Exception as e:  # reported by the main thread
            self.error = e


def test(h):
    master, slave = os.openpty()
    pts = os.ttyname(slave)
    os.close(slave)
    f = vfotest.MemifReflect(h, extra_args=["--ctl-serial", pts])
    before = snapshot(f)
    check_eq(before[:2], ("vf_active", "vf"), "state before the campaign")
    camp = Campaign(f, vfotest.SerialPeer(master), bad_lines(random.Random(12), LINES))
    t0 = time.monotonic()
    camp.start()
    rounds, last_done, gaps = 0, 0, []
    while camp.is_alive():
        f.check_round(BURSTS)
        rounds += 1
        gaps.append(camp.done - last_done)
        last_done = camp.done
    camp.join()
    if camp.error is not None:
        raise camp.error
    log(f"{LINES} bad lines answered in {time.monotonic() - t0:.1f} s during {rounds} exact "
        f"rounds of {BURSTS * vfotest.BURST} packets (at most {max(gaps)} lines per round)")
    check_eq(camp.done, LINES, "bad lines answered")
    check(rounds >= 3, f"only {rounds} traffic rounds ran during the campaign")
    check_eq(snapshot(f), before, "state, active member, VF devargs, switches at the end")
    check(not os.path.exists(PCAP), f"a refused attach created {PCAP}")
    check_eq(f.vfo.stop(), 0, "vfailover exit status after SIGTERM")
    os.close(master)


if __name__ == "__main__":
    vfotest.main(test, "ctl_bad_lines")
