# SPDX-License-Identifier: BSD-3-Clause
"""vfolib — the Python helpers vfailover's tests and scripts share (stdlib only).

    checks        Failure, check(), check_eq(), log(), wait_until(), wait_stable()
    jsonlines     one UNIX-socket connection carrying one JSON value per line
    ctl           the control protocol's client: Ctl, ctl(), request building
    proc          child processes killed with their parent (PR_SET_PDEATHSIG)
    eal           DPDK EAL arguments, file prefixes, runtime directories, hugepages
    testpmd       dpdk-testpmd driven through its prompt
    harness       a run's temp directory, processes and clean-up (tests, benchmarks)
    failover      vfailover's failover state: waits, timeline search
    probe         vfprobe: command lines, a run with its control socket, reports
    netns         network namespaces, bridges, taps, veths, link flags
    libvirt_pair  two libvirt daemons on this machine, domain XML, vfmigrate's argv
    cpu           CPU time of processes' threads (schedstat)
    plot          matplotlib for PNGs (Agg; Debian's python3 if needed)
    results       what a benchmark records beside its figures (the commit)

Import it the normal way (`import vfolib.ctl`, `from vfolib.checks import
check`).  meson's test environment puts python/ on PYTHONPATH; the scripts
run from a checkout add it themselves (see scripts/vfo-ctl), and an
installed copy is found on the default path.
"""
