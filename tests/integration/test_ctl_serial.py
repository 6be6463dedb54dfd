#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ctl_serial: the control protocol on a serial port (--ctl-serial).

A pty stands in for the guest's virtio-serial port; the test holds its
master end, as the host's end of the channel.  Checks: 'status' over the
port (an "id" is echoed, uplink on its VF), 'prepare' over the port moves
TX to the backup and releases the VF (the same state on the UNIX socket),
'attach' over it brings the VF back; a malformed line gets an error and
the port keeps working; then the host end closes: vfailover keeps
running, its control thread does not spin (its CPU time over 1 s stays
under 20 %), the UNIX socket still answers, and 'quit' exits 0.

    test_ctl_serial.py VFAILOVER_BIN SOURCE_DIR
"""
import os
import time

import vfotest
from vfotest import TestFailure, check, check_eq, log, wait_until


def ctl_thread_ticks(pid):
    """Returns utime + stime (clock ticks) of vfailover's control thread."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            if f.read().strip() != "vfo-ctl":
                continue
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    raise TestFailure("no vfo-ctl thread in vfailover")


def test(h):
    master, slave = os.openpty()
    pts = os.ttyname(slave)
    os.close(slave)
    try:
        f = vfotest.MemifReflect(h, extra_args=["--ctl-serial", pts])
        port = vfotest.SerialPeer(master)
        r = port.request({"cmd": "status", "id": 7})
        check_eq((r.get("ok"), r.get("cmd"), r.get("id")), (True, "status", 7),
                 "status over the serial port")
        check_eq(r["uplinks"][0]["active"], "vf", "active member")
        r = port.request({"cmd": "prepare"})
        check(r.get("ok") is True, f"prepare over the serial port: {r}")
        check_eq(r["uplinks"][0]["state"], "backup_vf_gone", "state after prepare")
        up = vfotest.ctl(f.ctl_path, "status")["uplinks"][0]
        check_eq((up["active"], up["members"]["vf"]["present"]), ("backup", False),
                 "socket's view after prepare over the port")
        os.write(master, b"{not json\n")
        r = port.read_reply()
        check(r.get("ok") is False and "malformed JSON" in r.get("error", ""),
              f"malformed line: {r}")
        r = port.request({"cmd": "attach"})
        check(r.get("ok") is True, f"attach over the serial port: {r}")
        wait_until(lambda: port.request({"cmd": "status"})["uplinks"][0]["active"] == "vf",
                   10, "TX back on the VF")
        log("status, prepare, attach answered over the pty")
    finally:
        os.close(master)
    # The host end is gone: the port reads EIO / POLLHUP from now on.
    pid = f.vfo.popen.pid
    t0, c0 = time.monotonic(), ctl_thread_ticks(pid)
    time.sleep(1.0)
    t1, c1 = time.monotonic(), ctl_thread_ticks(pid)
    share = (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0)
    log(f"control thread CPU with the host end closed: {100 * share:.1f} %")
    check(f.vfo.running(), "vfailover exited after the host end closed")
    check(share < 0.20, f"control thread uses {100 * share:.0f} % CPU with the host end closed")
    check_eq(vfotest.ctl(f.ctl_path, "status")["uplinks"][0]["active"], "vf",
             "socket status after the host end closed")
    vfotest.ctl(f.ctl_path, "quit")
    check_eq(f.vfo.wait(10), 0, "exit status after quit")


if __name__ == "__main__":
    vfotest.main(test, "ctl_serial")
