# SPDX-License-Identifier: BSD-3-Clause
"""harness — one run's temp directory, processes and clean-up, for the
integration tests and the benchmarks that drive vfailover with peers.

    h = Harness("fwd_memif_exact", vfailover_bin)
    peer = h.testpmd("peer", vdevs=[...])
    vfo = h.vfailover("vfo", ["--vf", ..., "--backup", ..., "--ctl", h.path("ctl.sock")],
                      ctl_path=h.path("ctl.sock"))
    ...
    h.passed(); h.cleanup()

Every process a Harness starts is killed when the run ends, however it ends
(normal exit, a Failure, an exception, SIGTERM/SIGINT from meson's timeout
or a terminal, or the parent dying: children get PR_SET_PDEATHSIG).
Sockets and logs live in a private temp directory that is removed at the
end; DPDK's runtime directories (one unique --file-prefix per process) are
removed too.  Logs of a failed run are printed before removal.  Every DPDK
process gets --in-memory --no-pci.
"""
import atexit
import os
import re
import shutil
import signal
import sys
import tempfile
import time

from .checks import Failure, check, log, wait_until
from .ctl import ctl
from .eal import Prefixes, eal_args, hugepages_free, remove_hugepage_files, runtime_dir
from .proc import Proc, pid_alive
from .testpmd import TESTPMD, TestPmd, testpmd_argv

# Names of what a run leaves only if it is killed with SIGKILL (its
# children die with it, through PR_SET_PDEATHSIG): /tmp/vfoit-PID-NAME-XXXX
# and DPDK runtime directories of --file-prefix vfotPIDxN.
TMP_PREFIX = "vfoit-"
DPDK_PREFIX = "vfot"


def sweep_leftovers():
    """Removes temp and DPDK runtime directories of runs whose process no
    longer exists (a run killed with SIGKILL cannot clean up)."""
    for base, pat in (("/tmp", re.compile(re.escape(TMP_PREFIX) + r"(\d+)-")),
                      (os.path.dirname(runtime_dir("x")),
                       re.compile(re.escape(DPDK_PREFIX) + r"(\d+)x\d+$"))):
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for n in names:
            m = pat.match(n)
            if m and not pid_alive(int(m.group(1))):
                shutil.rmtree(os.path.join(base, n), ignore_errors=True)
                if n.startswith(DPDK_PREFIX):
                    remove_hugepage_files(n)


class Harness:
    """One run's temp directory, processes and clean-up."""

    def __init__(self, name, vfailover_bin, srcdir=".", need_hugepages=True):
        """Checks that 'vfailover_bin' can run (and, with 'need_hugepages',
        that hugepages are free), makes the temp directory and arranges the
        clean-up at exit and on SIGTERM, SIGINT and SIGHUP."""
        self.name = name  # for messages
        self.vfailover_bin = os.path.abspath(vfailover_bin)  # the binary under test
        self.srcdir = os.path.abspath(srcdir)  # the source tree (configs, data)
        self.procs = []  # every Proc started, in order
        self.prefixes = Prefixes(DPDK_PREFIX)  # --file-prefix values handed out
        self.ok = False  # passed(): no logs printed at clean-up
        self.t0 = time.monotonic()  # for elapsed()
        sweep_leftovers()
        # Short path: UNIX socket paths are limited to 107 bytes.
        self.tmp = tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-{name[:12]}-", dir="/tmp")
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        atexit.register(self.cleanup)
        check(os.access(self.vfailover_bin, os.X_OK),
              f"vfailover binary {self.vfailover_bin} is missing; build with ninja -C build")
        if need_hugepages and hugepages_free() < 64:
            raise SystemExit(
                f"{name}: FAIL: only {hugepages_free()} free hugepages; this needs "
                "hugepages: run scripts/setup (it reserves 512 x 2 MiB)")
        log(f"{name}: temp dir {self.tmp}")

    def _on_signal(self, sig, frame):
        raise SystemExit(f"{self.name}: interrupted by signal {sig}")

    def path(self, name):
        """Returns a path in the run's temp directory."""
        return os.path.join(self.tmp, name)

    def prefix(self):
        """Returns a new, unique DPDK --file-prefix."""
        return self.prefixes.new()

    def eal(self, lcores, vdevs=(), lcore_opt="-l", **kw):
        """Returns EAL arguments with a new prefix (see vfolib.eal.eal_args)."""
        return eal_args(lcores, self.prefix(), vdevs, lcore_opt, **kw)

    def spawn(self, name, argv, cls=Proc, **kw):
        """Starts a process of the run (logs in the temp dir); returns it."""
        log(f"start {name}: {' '.join(argv)}")
        p = cls(name, argv, log_dir=self.tmp, **kw)
        self.procs.append(p)
        return p

    def run(self, name, argv, timeout=30.0):
        """Runs a process to completion; returns the Proc (exit status in
        proc.popen.returncode)."""
        p = self.spawn(name, argv)
        p.wait(timeout)
        return p

    def start_vfailover(self, name, app_args, lcores="1", vdevs=(), eal_extra=(),
                        announce=False, in_memory=True):
        """Starts vfailover (does not wait for it); returns the Proc.  Unless
        'announce', it runs with --no-announce, so that the RARP frames it
        sends after a switch do not show up in exact packet counts; for
        'in_memory' see vfolib.eal.eal_args."""
        argv = [self.vfailover_bin] + self.eal(lcores, vdevs, in_memory=in_memory) + \
            list(eal_extra) + ["--"] + \
            list(app_args) + ([] if announce else ["--no-announce"])
        p = self.spawn(name, argv)
        p.prefix = self.prefixes.used[-1]
        return p

    def vfailover(self, name, app_args, ctl_path=None, timeout=30.0, **kw):
        """Starts vfailover and waits until it forwards (and, with 'ctl_path',
        until its control socket answers with every uplink on its VF);
        returns the Proc."""
        p = self.start_vfailover(name, app_args, **kw)

        def ready():
            if not p.running():
                raise Failure(f"{name} exited with {p.popen.returncode} while "
                              f"starting; stderr:\n{p.stderr()}\nstdout:\n{p.stdout()}")
            # rte_log (stderr); binaries before it printed to stdout (a
            # before/after comparison runs them with this harness).
            if "vfailover: forwarding" not in p.stderr() + p.stdout():
                return False
            if ctl_path is None:
                return True
            try:
                st = ctl(ctl_path, "status")
            except OSError:
                return False
            # Every uplink on its VF: the links are up (memif connects
            # after start) and the failover engine has settled.
            return all(u.get("failover", {}).get("state") == "vf_active"
                       for u in st.get("uplinks", []))
        wait_until(ready, timeout, f"{name} to start forwarding")
        return p

    def testpmd(self, name, vdevs, args=(), lcores="0,1", main_lcore="1", lcore_map=None,
                lsc=False, timeout=60.0, netns=None):
        """Starts an interactive dpdk-testpmd peer and waits for its prompt;
        returns it.  It forwards on the lcores that are not the main one.
        Forwarding lcores are pinned to their CPU; the main lcore (commands)
        and with it EAL's interrupt thread (memif connections) may run on any
        of them: pinned to vfailover's busy-polling CPU, they waited seconds
        for a turn on a loaded machine.  'lcore_map' (an EAL --lcores map such
        as 0@0,1@0) replaces that placement.  With 'netns' (a
        vfolib.netns.HostNet) it runs in that namespace."""
        check(os.access(TESTPMD, os.X_OK), f"{TESTPMD} not found; run scripts/setup")
        if lcore_map is None:
            cpus = lcores.split(",")
            lcore_map = ",".join([f"{c}@{c}" for c in cpus if c != main_lcore] +
                                 [f"{main_lcore}@({lcores})"])
        eal = self.eal(lcore_map, vdevs, "--lcores", main_lcore=main_lcore)
        argv = testpmd_argv(eal, args, lsc)
        p = self.spawn(name, netns.run(argv) if netns else argv, cls=TestPmd)
        p.prefix = self.prefixes.used[-1]
        p.wait_prompt(timeout)
        return p

    def pids_with_prefix(self, prefix):
        """Returns the pids of running processes whose command line holds
        the DPDK --file-prefix 'prefix' (unique per started process)."""
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if prefix.encode() in argv and int(d) != os.getpid():
                pids.append(int(d))
        return pids

    def elapsed(self):
        """Seconds since the harness was created."""
        return time.monotonic() - self.t0

    def passed(self):
        """Marks the run as passed (logs are not printed at clean-up)."""
        self.ok = True
        log(f"{self.name}: PASS in {self.elapsed():.1f} s")

    def stop_all(self):
        """Stops every process still running, newest first (testpmd by
        'quit')."""
        for p in reversed(self.procs):
            if p.running():
                if isinstance(p, TestPmd):
                    p.quit(timeout=5)
                else:
                    p.stop(signal.SIGTERM, timeout=5)

    def cleanup(self):
        """Stops every process, prints logs when the run failed, removes the
        temp directory and DPDK runtime directories.  Idempotent."""
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        self.stop_all()
        for p in self.procs:
            p.close_files()
        if not self.ok:
            for p in self.procs:
                for what, text in (("stdout", p.stdout()), ("stderr", p.stderr())):
                    if text.strip():
                        print(f"----- {p.name} {what} (exit {p.popen.returncode}) -----")
                        print(text[-6000:])
            sys.stdout.flush()
        shutil.rmtree(self.tmp, ignore_errors=True)
        for pre in self.prefixes.used:
            shutil.rmtree(runtime_dir(pre), ignore_errors=True)
            remove_hugepage_files(pre)
        self.procs = []
        self.prefixes = Prefixes(DPDK_PREFIX)
