#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""flow_table: a flooded flow table recovers by aging and by reset.

vfailover --fwd flow with a 64-flow table and --flow-idle-ms 3000 reflects a
testpmd peer that sends a new UDP flow in (nearly) every packet
(--txonly-multi-flow):

- a round of 256 packets fills the table: 64 flows, the rest counted in
  table_full, never dropped (every packet comes back);
- 3 s later the flows are idle past the timeout: 'flows' shows none;
- the next round's first burst frees them (aged_out 64) and its new flows
  fill the table again;
- {"cmd":"flows","reset":true} answers with the table as it was and empties
  it: the next 'flows' shows 0 flows, 0 table_full, 0 aged_out;
- bad arguments of 'flows' get an error naming the argument.

The timeout is 3 s, not less, because each read must come before the flows
it counts go idle: a round ends with the peer's counters settling (0.4 s),
and on this shared machine a process can stall for a second or more.

    test_flow_table.py VFAILOVER_BIN SOURCE_DIR
"""
import time

import vfotest
from vfotest import check, check_eq, log

MAX_FLOWS = 64
IDLE_MS = 3000
BURSTS = 8  # 256 packets a round


def flows(f, **args):
    """Returns uplink 0's entry of the 'flows' reply (and the whole reply)."""
    rep = vfotest.ctl(f.ctl_path, "flows", top=1000, **args)
    return rep["uplinks"][0], rep


def test(h):
    f = vfotest.MemifReflect(h, extra_args=["--fwd", "flow", "--max-flows", str(MAX_FLOWS),
                                            "--flow-idle-ms", str(IDLE_MS)],
                             peer_args=["--txonly-multi-flow"])
    sent = f.check_round(BURSTS)  # every packet comes back: a full table drops nothing
    fl, _ = flows(f)
    log(f"after a flood of {sent}: total_flows {fl['total_flows']} table_full "
        f"{fl['table_full']} aged_out {fl['aged_out']}")
    check_eq((fl["total_flows"], fl["max_flows"], fl["idle_timeout_ms"]),
             (MAX_FLOWS, MAX_FLOWS, IDLE_MS), "flows, capacity and idle timeout")
    check(fl["table_full"] > 0, f"no packet refused by a full table: {fl}")
    check_eq(sum(x["packets"] for x in fl["flows"]) + fl["table_full"] + fl["unclassified"],
             sent, "packets in flows + refused + unclassified")

    time.sleep(IDLE_MS / 1000 + 0.2)
    fl, _ = flows(f)
    check_eq((fl["total_flows"], fl["flows"]), (0, []), "flows shown after the idle timeout")

    f.check_round(BURSTS)
    fl, _ = flows(f)
    log(f"after a second flood: total_flows {fl['total_flows']} table_full "
        f"{fl['table_full']} aged_out {fl['aged_out']}")
    check_eq(fl["aged_out"], MAX_FLOWS, "flows aged out to make room")
    check_eq(fl["total_flows"], MAX_FLOWS, "new flows in the recovered table")

    fl, rep = flows(f, reset=True)
    check_eq((rep["reset"], fl["total_flows"]), (True, MAX_FLOWS),
             "the reset reply shows the table before the reset")
    fl, rep = flows(f)
    check_eq((rep["reset"], fl["total_flows"], fl["table_full"], fl["aged_out"], fl["flows"]),
             (False, 0, 0, 0, []), "the table after the reset")
    for attempt in (1, 2, 3):
        t0 = time.monotonic()
        f.check_round(1)
        fl, _ = flows(f)
        took = time.monotonic() - t0
        log(f"after the reset and a round ({took:.2f} s): {fl}")
        if took < IDLE_MS / 1000:
            break
        # The round's flows may have aged out before they were read: a
        # stall of the shared machine.  Empty the table and try again.
        log(f"round and read took {took:.2f} s, beyond the idle timeout: again")
        flows(f, reset=True)
    check(took < IDLE_MS / 1000, f"3 rounds each outlasted the idle timeout ({took:.2f} s)")
    check_eq((fl["total_flows"], fl["table_full"]), (vfotest.BURST, 0),
             "a round of 32 new flows after the reset")

    c = vfotest.Ctl(f.ctl_path)
    for bad, culprit in (({"reset": "yes"}, '"reset"'), ({"by": 5}, '"by"'),
                         ({"by": "flows"}, '"by"'), ({"top": 0}, '"top"'),
                         ({"top": "10"}, '"top"'), ({"uplink": "nope"}, "nope")):
        rep = c.request(dict(cmd="flows", **bad))
        check(rep.get("ok") is False and culprit in rep.get("error", ""),
              f"flows {bad}: {rep}")
    c.close()
    check_eq(f.vfo.stop(), 0, "vfailover exit status after SIGTERM")


if __name__ == "__main__":
    vfotest.main(test, "flow_table")
