# SPDX-License-Identifier: BSD-3-Clause
"""bench_failover — scripts/bench-failover's phases, one module each, over vfolib.

    rig       the peer + vfailover rig, exact rounds, the loop's population check
    cycles    switch times with the link idle (planned, return, unplanned)
    loop      planned switches under a closed loop of traffic
    probe     loss per switch from vfprobe's sequence numbers
    compare   vfailover against DPDK's bonding and fail-safe PMDs
    results   series, medians and the Markdown table
"""
