#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ctl_protocol_live: the control socket of a running, forwarding vfailover.

Checks: the socket file is a socket of mode 0600; 'status' (with the
default uplink MAC: the backup's), 'stats' and
'help' answer ok (help lists status, stats and quit; an "id" is echoed);
an unknown command, malformed JSON, a JSON non-object, a request without
"cmd" and a 70000-byte line each get {"ok":false,"error":...} and the
connection keeps working afterwards; the traffic counters are the same
before and after the bad requests, and forwarding still reflects exactly
what the peer sends (exact counts before and after); vfo-ctl works against
it; 'quit' answers ok, the process exits 0 within 5 s and removes the
socket file.

    test_ctl_protocol_live.py VFAILOVER_BIN SOURCE_DIR
"""
import os
import stat
import subprocess
import sys

import vfotest
from vfotest import check, check_eq, log


def expect_error(c, data, what):
    """Sends raw bytes on connection 'c'; the reply must be an error."""
    c.send_raw(data)
    r = c.read_reply()
    check(r.get("ok") is False and isinstance(r.get("error"), str) and r["error"],
          f"{what}: want an error reply, got {r}")
    log(f"{what}: {r['error']}")
    return r


def counters(ctl_path):
    """Returns the traffic counters of uplink 0 (members and drops)."""
    s = vfotest.member_stats(ctl_path)
    return {"members": s["members"], "drops": s["drops"]}


def test(h):
    f = vfotest.MemifReflect(h)
    path = f.ctl_path
    mode = os.stat(path).st_mode
    check(stat.S_ISSOCK(mode), f"{path} is not a socket")
    check_eq(oct(stat.S_IMODE(mode)), oct(0o600), "control socket file mode")

    sent = f.check_round(8)

    c = vfotest.Ctl(path)
    r = c.request({"cmd": "status", "id": 42})
    check_eq((r.get("ok"), r.get("cmd"), r.get("id")), (True, "status", 42), "status reply")
    up = r["uplinks"][0]
    check_eq(up["active"], "vf", "active member")
    # Default uplink MAC = the backup's own.  memif cannot take another MAC
    # (no mac_addr_set in DPDK's memif), so the vf keeps its own: mac_set false.
    check_eq((up["members"]["backup"]["mac"], up["members"]["backup"]["mac_set"]),
             (up["mac"], True), "backup MAC and mac_set (the uplink MAC's source)")
    check_eq(up["members"]["vf"]["mac_set"], up["members"]["vf"]["mac"] == up["mac"],
             "vf mac_set agrees with its MAC")
    r = c.request({"cmd": "stats", "id": "s"})
    check_eq((r.get("ok"), r.get("id")), (True, "s"), "stats reply")
    check_eq(r["uplinks"][0]["members"]["vf"]["tx_pkts"], sent, "stats vf tx_pkts")
    r = c.request({"cmd": "help"})
    check_eq(r.get("ok"), True, f"help reply {r}")
    text = str(r)
    for name in ("status", "stats", "quit", "help"):
        check(name in text, f"help does not list {name!r}: {r}")

    before = counters(path)
    r = expect_error(c, b'{"cmd":"nosuchcommand","id":7}\n', "unknown command")
    check_eq(r.get("id"), 7, "id echoed in an error reply")
    check("nosuchcommand" in r["error"], f"the error does not name the command: {r}")
    expect_error(c, b'{"cmd":"status"\n', "malformed JSON")
    expect_error(c, b'this is not json\n', "not JSON at all")
    expect_error(c, b'[1,2,3]\n', "a JSON array")
    expect_error(c, b'{"id":1}\n', "no cmd")
    expect_error(c, b'{"cmd":5}\n', "cmd not a string")
    # 70000 bytes then the newline: over the 64 KiB line limit.  The rest of
    # the line is discarded and the connection stays usable.
    expect_error(c, b'{"cmd":"status","pad":"' + b"x" * 69970 + b'"}\n', "70000-byte line")
    r = c.request({"cmd": "status"})
    check_eq(r.get("ok"), True, "status on the same connection after the long line")
    c.close()
    # A second client sees the same, and the counters did not move.
    check_eq(counters(path), before, "traffic counters after the bad requests")

    # vfo-ctl, the command-line client, against the live socket.
    tool = os.path.join(h.srcdir, "scripts", "vfo-ctl")
    p = subprocess.run([sys.executable, tool, path, "status"], capture_output=True,
                       text=True, timeout=15)
    check_eq(p.returncode, 0, f"vfo-ctl status exit status (stderr {p.stderr!r})")
    p = subprocess.run([sys.executable, tool, path, "nosuchcommand"], capture_output=True,
                       text=True, timeout=15)
    check_eq(p.returncode, 1, "vfo-ctl exit status for an unknown command")

    # Forwarding still exact after all that.
    f.check_round(8)

    r = vfotest.Ctl(path).request({"cmd": "quit"})
    check_eq(r.get("ok"), True, f"quit reply {r}")
    check_eq(f.vfo.wait(5), 0, "vfailover exit status after quit")
    check(not os.path.exists(path), f"{path} still exists after quit")
    check("totals: u0 vf     rx 512 pkts" in f.vfo.stderr(),
          "exit summary lacks 'totals: u0 vf     rx 512 pkts'")


if __name__ == "__main__":
    vfotest.main(test, "ctl_protocol_live")
