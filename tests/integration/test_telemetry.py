#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""telemetry: /vfailover/status and /vfailover/stats through DPDK telemetry.

With the memif reflect fixture running and a round of exact traffic done,
queries vfailover's DPDK telemetry socket (RUNTIME_DIR/dpdk_telemetry.v2,
a SOCK_SEQPACKET socket; RUNTIME_DIR is /var/run/dpdk/FILE_PREFIX for root)
directly and through the installed dpdk-telemetry.py.  Checks: both
commands are listed by "/"; /vfailover/status names uplink u0 with active
member vf and both members present (booleans are 0/1 there); /vfailover/stats
shows uplink u0 with the same member counters as the control socket's
'stats' (vf rx == vf tx == the packets sent); /vfailover/status from
dpdk-telemetry.py agrees.

    test_telemetry.py VFAILOVER_BIN SOURCE_DIR
"""
import json
import os
import subprocess

import vfotest
from vfotest import check, check_eq, log, wait_until


def first_uplink(section):
    """Telemetry renders a JSON array of objects as a dict keyed "0", "1"...;
    accepts either form and returns element 0."""
    ups = section["uplinks"]
    return ups[0] if isinstance(ups, list) else ups["0"]


def test(h):
    f = vfotest.MemifReflect(h)
    sent = f.check_round(8)
    tel = os.path.join(vfotest.dpdk_runtime_dir(f.vfo.prefix), "dpdk_telemetry.v2")
    wait_until(lambda: os.path.exists(tel), 5, f"the telemetry socket {tel}")

    cmds = vfotest.telemetry(tel, "/")["/"]
    for c in ("/vfailover/status", "/vfailover/stats"):
        check(c in cmds, f"telemetry does not list {c}: {cmds}")

    st = vfotest.telemetry(tel, "/vfailover/status")["/vfailover/status"]
    log(f"/vfailover/status: {json.dumps(st)[:400]}")
    check_eq(st["fwd"], "io", "telemetry status fwd")
    up = first_uplink(st)
    check_eq(up["name"], "u0", "telemetry status uplink name")
    check_eq(up["active"], "vf", "telemetry status active member")
    for m in ("vf", "backup"):
        check(up["members"][m]["present"] in (1, True), f"telemetry status {m} present")
        check_eq(up["members"][m]["driver"], "net_memif", f"telemetry status {m} driver")

    ctl_stats = vfotest.member_stats(f.ctl_path)
    ts = vfotest.telemetry(tel, "/vfailover/stats")["/vfailover/stats"]
    log(f"/vfailover/stats: {json.dumps(ts)[:400]}")
    up = first_uplink(ts)
    check_eq(up["name"], "u0", "telemetry stats uplink name")
    for m in ("vf", "backup"):
        for k in ("rx_pkts", "tx_pkts"):
            check_eq(up["members"][m][k], ctl_stats["members"][m][k],
                     f"telemetry stats {m} {k} (control socket: {ctl_stats['members'][m][k]})")
    check_eq(up["members"]["vf"]["rx_pkts"], sent, "telemetry stats vf rx_pkts")
    check_eq(up["members"]["vf"]["tx_pkts"], sent, "telemetry stats vf tx_pkts")
    check_eq(up["drops"]["tx_full"], 0, "telemetry stats drops tx_full")

    # The installed client, by file prefix, reading commands from stdin.
    p = subprocess.run(["dpdk-telemetry.py", "-f", f.vfo.prefix],
                       input="/vfailover/status\n", capture_output=True, text=True,
                       timeout=20)
    check_eq(p.returncode, 0, f"dpdk-telemetry.py exit status (stderr {p.stderr!r})")
    check('"/vfailover/status"' in p.stdout and '"u0"' in p.stdout,
          f"dpdk-telemetry.py output lacks /vfailover/status with u0:\n{p.stdout[-2000:]}")
    check_eq(f.vfo.stop(), 0, "vfailover exit status after SIGTERM")


if __name__ == "__main__":
    vfotest.main(test, "telemetry")
