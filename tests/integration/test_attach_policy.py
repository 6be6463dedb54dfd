#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""attach_policy: 'attach' probes only the VF's own kind of device.

vfailover reflects a testpmd peer over two memif members, started with
--attach-allow net_null and with its control protocol also on a pty
(--ctl-serial, standing in for the host's virtio-serial channel).  After
'prepare' (TX on the backup, VF released):

- {"cmd":"attach","devargs":"net_pcap9,tx_pcap=FILE"} is refused, on the
  socket and on the serial port, with an error naming net_pcap9 and
  --attach-allow; FILE is not created; nothing changed (state, the VF's
  devargs, attach_failures, no retry pending); traffic on the backup goes
  on, every packet counted back;
- a PCI address is refused the same way;
- net_null (allowed by the option) is probed: the policy lets it through;
  'prepare' releases it again;
- a plain 'attach' brings the memif VF back from its own devargs, and
  traffic on the VF path is exact again.

    test_attach_policy.py VFAILOVER_BIN SOURCE_DIR
"""
import os

from vfolib.rounds import exact_round

import vfotest
from vfotest import check, check_eq, log, wait_until


def vf_state(f):
    """Returns (failover state, active member, VF devargs, attach failures,
    retry pending) of uplink 0."""
    up = vfotest.ctl(f.ctl_path, "status")["uplinks"][0]
    fo = up["failover"]
    return (fo["state"], up["active"], up["members"]["vf"]["devargs"],
            fo["attach_failures"], fo["attach_retry_pending"])


def test(h):
    master, slave = os.openpty()
    pts = os.ttyname(slave)
    os.close(slave)
    f = vfotest.MemifReflect(h, extra_args=["--ctl-serial", pts, "--attach-allow", "net_null"])
    serial = vfotest.SerialPeer(master)
    f.check_round(4)
    vfotest.ctl(f.ctl_path, "prepare")
    before = vf_state(f)
    check_eq(before[:2], ("backup_vf_gone", "backup"), "state after prepare")
    exact_round(f.peer, f.ctl_path, 1, "backup", 4)

    pcap = h.path("attach.pcap")
    evil = {"cmd": "attach", "devargs": f"net_pcap9,tx_pcap={pcap}"}
    c = vfotest.Ctl(f.ctl_path)
    for via, rep in (("socket", c.request(evil)), ("serial port", serial.request(evil))):
        log(f"net_pcap attach over the {via}: {rep}")
        check(rep.get("ok") is False, f"net_pcap attach over the {via} accepted: {rep}")
        err = rep.get("error", "")
        for want in ("attach refused", "net_pcap9", "a net_memif device",
                     "--attach-allow net_pcap"):
            check(want in err, f"refusal over the {via} lacks {want!r}: {err}")
    rep = c.request({"cmd": "attach", "devargs": "0000:00:05.0"})
    check(rep.get("ok") is False and "--attach-allow pci" in rep.get("error", ""),
          f"PCI attach to a memif VF: {rep}")
    c.close()
    check(not os.path.exists(pcap), f"{pcap} was created by a refused attach")
    check_eq(vf_state(f), before, "state, VF devargs, failures, retry after the refusals")
    exact_round(f.peer, f.ctl_path, 1, "backup", 4)

    # Allowed by --attach-allow: probed (a null device: its link is up).
    rep = serial.request({"cmd": "attach", "devargs": "net_null7"})
    check(rep.get("ok") is True, f"attach of net_null (allowed by the option): {rep}")
    wait_until(lambda: vf_state(f)[2] == "net_null7", 10, "the VF's devargs to be net_null7")
    # net_null delivers a packet on every RX poll, so its RX goes quiet only
    # when the lcore is not scheduled: 'prepare' either says the VF was
    # released at the drain bound (what its RX held unknown) or, on a
    # starved lcore, succeeds.
    c = vfotest.Ctl(f.ctl_path)
    rep = c.request({"cmd": "prepare"})
    c.close()
    check(rep.get("ok") is True or "released anyway" in rep.get("error", ""),
          f"prepare of a VF whose RX never goes quiet: {rep}")
    wait_until(lambda: vf_state(f)[0] == "backup_vf_gone", 10, "the null VF to be released")

    # Back to the memif VF, from its devargs as started.
    vfotest.ctl(f.ctl_path, "attach", devargs=before[2])
    wait_until(lambda: vf_state(f)[:2] == ("vf_active", "vf"), 15, "the memif VF to return")
    exact_round(f.peer, f.ctl_path, 0, "vf", 4)
    check(not os.path.exists(pcap), f"{pcap} exists at the end")
    check_eq(f.vfo.stop(), 0, "vfailover exit status after SIGTERM")
    os.close(master)


if __name__ == "__main__":
    vfotest.main(test, "attach_policy")
