# SPDX-License-Identifier: BSD-3-Clause
"""cpu — CPU time used by processes and threads, from /proc.

    m = CpuMeter([pid])          # starts counting
    ...
    m.read()                     # {"cpu_s": 0.042, "wall_s": 10.0, "core_pct": 0.42,
                                 #  "threads": {"vfailover": 0.03, ...}}
    process_cpu_s(pid)           # run time of every thread so far (s)
    machine_busy()               # (busy, steal) jiffies of the whole machine

Run time comes from each thread's /proc/PID/task/TID/schedstat (ns the
scheduler ran it), which counts short bursts that the 10 ms tick-sampled
utime/stime of /proc/PID/stat miss (an lcore that wakes 100 times a
second for 20 µs).  Threads that end between two reads are not counted.
"""
import os
import time

_HZ = os.sysconf("SC_CLK_TCK")


def thread_cpu_ns(pid):
    """Returns {tid: (comm, run ns)} of every thread of process 'pid' ({}
    when it is gone)."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        d = f"/proc/{pid}/task/{tid}"
        try:
            with open(f"{d}/schedstat") as f:
                ns = int(f.read().split()[0])
            with open(f"{d}/comm") as f:
                comm = f.read().strip()
        except (OSError, ValueError, IndexError):
            continue
        out[int(tid)] = (comm, ns)
    return out


def process_cpu_s(pid):
    """Returns the run time (s) of every live thread of 'pid' so far."""
    return sum(ns for _, ns in thread_cpu_ns(pid).values()) / 1e9


def machine_busy():
    """Returns (busy, steal) jiffies of every CPU since boot, from
    /proc/stat (busy: neither idle nor iowait nor steal)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    steal = v[7] if len(v) > 7 else 0
    return sum(v[:8]) - idle - steal, steal


class CpuMeter:
    """CPU time of a set of processes over a window, and the machine's."""

    def __init__(self, pids):
        """Starts counting for processes 'pids' (a list; more can be added
        with add() while it counts)."""
        self.pids = list(pids)  # the processes
        self.t0 = time.monotonic()  # window start
        self.base = {pid: thread_cpu_ns(pid) for pid in self.pids}  # per pid, per tid
        self.busy0, self.steal0 = machine_busy()

    def add(self, pid):
        """Counts process 'pid' too, from now on."""
        self.pids.append(pid)
        self.base[pid] = thread_cpu_ns(pid)

    def read(self):
        """Returns the window so far: cpu_s (every process), wall_s,
        core_pct (cpu_s / wall_s, % of one core), per_pid {pid: cpu_s},
        threads {comm: cpu_s} (summed over processes), machine_busy_cores
        and steal_cores (the whole machine, in cores)."""
        wall = time.monotonic() - self.t0
        per_pid, threads = {}, {}
        for pid in self.pids:
            base = self.base.get(pid, {})
            total = 0
            for tid, (comm, ns) in thread_cpu_ns(pid).items():
                d = ns - base.get(tid, (comm, 0))[1]
                total += d
                threads[comm] = threads.get(comm, 0.0) + d / 1e9
            per_pid[pid] = total / 1e9
        busy, steal = machine_busy()
        cpu = sum(per_pid.values())
        return {"cpu_s": round(cpu, 4), "wall_s": round(wall, 3),
                "core_pct": round(100.0 * cpu / wall, 2) if wall > 0 else None,
                "per_pid": {str(k): round(v, 4) for k, v in per_pid.items()},
                "threads": {k: round(v, 4) for k, v in sorted(threads.items())},
                "machine_busy_cores": round((busy - self.busy0) / _HZ / wall, 3) if wall else None,
                "steal_cores": round((steal - self.steal0) / _HZ / wall, 3) if wall else None}
