# SPDX-License-Identifier: BSD-3-Clause
"""vfotest — shared helpers for vfailover's integration tests (stdlib only).

A test does:

    import vfotest
    h = vfotest.Harness("fwd_memif_exact")   # argv: VFAILOVER_BIN SOURCE_DIR
    peer = h.testpmd("peer", vdevs=[...])
    vfo = h.vfailover("vfo", ["--vf", ..., "--backup", ..., "--ctl", h.path("ctl.sock")])
    ...
    h.passed()

Every process a Harness starts is killed when the test ends, however it ends
(normal exit, assertion, exception, SIGTERM/SIGINT from meson's timeout or a
terminal, or the parent dying: children get PR_SET_PDEATHSIG).  Sockets and
logs live in a private temp directory that is removed at the end; DPDK's own
runtime directory (/var/run/dpdk/PREFIX, one unique --file-prefix per
process) is removed too.  Logs of a failed test are printed before removal.

Every DPDK process gets --in-memory --no-pci and a unique --file-prefix.
"""
import atexit
import ctypes
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

TESTPMD = shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd"
PROMPT = b"testpmd> "


class TestFailure(Exception):
    """An assertion of an integration test failed."""


def check(cond, msg):
    """Raises TestFailure(msg) unless 'cond'."""
    if not cond:
        raise TestFailure(msg)


def check_eq(got, want, what):
    """Raises TestFailure unless got == want."""
    if got != want:
        raise TestFailure(f"{what}: got {got!r}, want {want!r}")


def log(msg):
    """Prints a progress line (meson shows it with --print-errorlogs / -v)."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _set_pdeathsig():
    """preexec_fn: the child gets SIGKILL if the test process dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def wait_until(fn, timeout, what, interval=0.05):
    """Calls fn() until it returns a true value, which is returned; raises
    TestFailure after 'timeout' seconds."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise TestFailure(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def wait_stable(fn, timeout, what, settle=0.4, interval=0.1):
    """Calls fn() until its value has not changed for 'settle' seconds and
    returns that value; raises TestFailure after 'timeout' seconds."""
    end = time.monotonic() + timeout
    last = fn()
    since = time.monotonic()
    while True:
        time.sleep(interval)
        v = fn()
        now = time.monotonic()
        if v != last:
            last, since = v, now
        elif now - since >= settle:
            return v
        if now > end:
            raise TestFailure(f"timed out after {timeout:g} s waiting for {what} "
                              f"to settle (last value {last!r})")


def thread_states(pid):
    """Returns one line per thread of process 'pid': name, scheduler state,
    CPU, kernel wait channel, and the ms it ran and waited runnable during
    the last 0.5 s (a spinning thread runs; the kernel books waiting only
    when the thread gets the CPU, so a runnable thread that ran 0 ms was
    starved for the whole 0.5 s; a blocked one sleeps in its wchan)."""
    def sample():
        out = {}
        for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
            d = f"/proc/{pid}/task/{tid}"
            try:
                with open(f"{d}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()
                with open(f"{d}/comm") as f:
                    comm = f.read().strip()
                with open(f"{d}/wchan") as f:
                    wchan = f.read().strip() or "-"
                with open(f"{d}/schedstat") as f:
                    run_ns, wait_ns = (int(x) for x in f.read().split()[:2])
            except OSError:
                continue
            out[tid] = (comm, st[0], st[36], wchan, run_ns, wait_ns)
        return out
    try:
        a = sample()
        time.sleep(0.5)
        b = sample()
    except OSError as e:
        return f"(no thread states: {e})"
    return "\n".join(f"{tid} {c}: state {s} cpu {cpu} wchan {w} ran {(r - a[tid][4]) / 1e6:.0f} ms "
                     f"waited {(wt - a[tid][5]) / 1e6:.0f} ms"
                     for tid, (c, s, cpu, w, r, wt) in b.items() if tid in a)


def thread_stacks(pid, timeout=60.0):
    """Returns thread_states() and the backtraces of every thread of process
    'pid' (gdb attached in batch mode, if installed); for hang diagnostics."""
    states = thread_states(pid)
    gdb = shutil.which("gdb")
    if not gdb:
        return f"{states}\n(gdb not installed: no backtraces)"
    try:
        r = subprocess.run([gdb, "-p", str(pid), "-batch", "-nx", "-ex", "set pagination off",
                            "-ex", "thread apply all bt"], capture_output=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"{states}\n(gdb did not finish within {timeout:g} s)"
    out = r.stdout.decode("utf-8", "replace")
    bt = "\n".join(l for l in out.splitlines() if l.startswith(("Thread", "#")))
    return f"{states}\n{bt or r.stderr.decode('utf-8', 'replace')}"


def hugepages_free():
    """Returns the number of free hugepages (all sizes in /proc/meminfo)."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                return int(line.split()[1])
    return 0


def dpdk_runtime_dir(prefix):
    """Returns the directory DPDK uses for --file-prefix 'prefix'."""
    if os.geteuid() == 0:
        base = "/var/run/dpdk"
    else:
        base = os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
    return os.path.join(base, prefix)


# Names of what a test leaves only if it is killed with SIGKILL (its
# children die with it, through PR_SET_PDEATHSIG): /tmp/vfoit-PID-NAME-XXXX
# and DPDK runtime directories of --file-prefix vfotPIDxN.
TMP_PREFIX = "vfoit-"
DPDK_PREFIX = "vfot"


def _pid_alive(pid):
    """True when process 'pid' exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def sweep_leftovers():
    """Removes temp and DPDK runtime directories of integration tests whose
    process no longer exists (a test killed with SIGKILL cannot clean up)."""
    for base, pat in (("/tmp", re.compile(re.escape(TMP_PREFIX) + r"(\d+)-")),
                      (os.path.dirname(dpdk_runtime_dir("x")),
                       re.compile(re.escape(DPDK_PREFIX) + r"(\d+)x\d+$"))):
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for n in names:
            m = pat.match(n)
            if m and not _pid_alive(int(m.group(1))):
                shutil.rmtree(os.path.join(base, n), ignore_errors=True)


class Proc:
    """A child process with stdout and stderr captured to files (or, for
    interactive peers, a pipe read by a thread)."""

    def __init__(self, harness, name, argv, stdin=None, pipe_out=False):
        self.name = name
        self.argv = argv
        self.out_path = harness.path(f"{name}.out")
        self.err_path = harness.path(f"{name}.err")
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        log(f"start {name}: {' '.join(argv)}")
        self.popen = subprocess.Popen(
            argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipe_out else self._out,
            stderr=self._err, preexec_fn=_set_pdeathsig, cwd=harness.tmp)
        self.pid = self.popen.pid

    def running(self):
        """True while the process has not exited."""
        return self.popen.poll() is None

    def wait(self, timeout):
        """Waits up to 'timeout' s for the exit; returns the exit status or
        raises TestFailure."""
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"{self.name} (pid {self.pid}) did not exit within "
                              f"{timeout:g} s") from None

    def send_signal(self, sig):
        """Sends 'sig' to the process if it still runs."""
        if self.running():
            self.popen.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Sends 'sig', waits, escalates to SIGKILL; returns the exit status."""
        self.send_signal(sig)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"{self.name} ignored signal {sig}; thread stacks:\n{thread_stacks(self.pid)}")
            log(f"killing {self.name}")
            self.popen.kill()
            return self.popen.wait(5)

    def stdout(self):
        """Returns what the process wrote to stdout so far (str)."""
        self._out.flush()
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr(self):
        """Returns what the process wrote to stderr so far (str)."""
        self._err.flush()
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def close_files(self):
        """Closes the log files (the child keeps its own descriptors)."""
        for f in (self._out, self._err):
            if not f.closed:
                f.close()


class TestPmd(Proc):
    """dpdk-testpmd in interactive mode, driven through its stdin."""

    def __init__(self, harness, name, argv):
        super().__init__(harness, name, argv, stdin=subprocess.PIPE, pipe_out=True)
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._eof = False
        self._pos = 0  # output consumed by cmd()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        fd = self.popen.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            # Output reaches cmd() first; the log file (disk) cannot delay it.
            with self._cond:
                if not chunk:
                    self._eof = True
                else:
                    self._buf += chunk
                self._cond.notify_all()
            try:
                self._out.write(chunk)
                self._out.flush()
            except ValueError:
                pass  # the log file was closed at cleanup
            if not chunk:
                return

    def _unlocked(self, fn, *args):
        """Runs fn(*args) with the output lock released (the reader goes on
        collecting output meanwhile); call with the lock held."""
        self._cond.release()
        try:
            return fn(*args)
        finally:
            self._cond.acquire()

    def _expect(self, pattern, timeout, what, slow=None):
        """Waits for bytes 'pattern' after the consumed output; returns the
        text before it and consumes through it.  Past 'slow' s the peer's
        thread states are logged (a stall is reported, not hidden); past
        'timeout' s the test fails with its thread stacks."""
        t0 = time.monotonic()
        end = t0 + timeout
        states = None
        with self._cond:
            while True:
                i = self._buf.find(pattern, self._pos)
                if i >= 0:
                    text = bytes(self._buf[self._pos:i]).decode("utf-8", "replace")
                    self._pos = i + len(pattern)
                    if states is not None:
                        log(f"{self.name}: {what} answered after {time.monotonic() - t0:.1f} s "
                            f"(over {slow:g} s)")
                    return text
                now = time.monotonic()
                if self._eof:
                    tail = bytes(self._buf[-2000:]).decode("utf-8", "replace")
                    raise TestFailure(f"{self.name}: exited; last output:\n{tail}")
                if slow is not None and states is None and now - t0 >= slow:
                    states = self._unlocked(thread_states, self.pid)
                    log(f"{self.name} (pid {self.pid}): {what}: no answer after {slow:g} s; "
                        f"threads:\n{states}")
                    continue
                if now >= end:
                    tail = bytes(self._buf[-2000:]).decode("utf-8", "replace")
                    seen = len(self._buf)
                    stacks = self._unlocked(thread_stacks, self.pid)
                    late = self._buf.find(pattern, self._pos) >= 0
                    raise TestFailure(
                        f"{self.name} (pid {self.pid}): {what}: no {pattern!r} within "
                        f"{timeout:g} s; last output:\n{tail}\n----- {self.name} threads -----\n"
                        f"{stacks}\n----- {self.name} output while the threads were read "
                        f"({'the prompt came late' if late else 'still no prompt'}) -----\n"
                        f"{bytes(self._buf[seen:]).decode('utf-8', 'replace')[-2000:]}")
                wake = end if slow is None or states is not None else min(end, t0 + slow)
                self._cond.wait(max(wake - now, 0.001))

    def wait_prompt(self, timeout=30.0):
        """Waits for the first prompt (ports started); returns the output."""
        return self._expect(PROMPT, timeout, "startup")

    def cmd(self, line, timeout=60.0, slow=15.0):
        """Runs one testpmd command; returns its output (up to the next prompt).
        An answer later than 'slow' s is logged with the peer's thread states;
        none within 'timeout' s fails the test with its thread stacks.  (CI
        logs showed the peer answering 15+ s late while every process of the
        test stalled together, so 'slow' only reports; see failover_memif.)"""
        with self._cond:
            self._pos = len(self._buf)  # skip asynchronous output and stray prompts
        self.popen.stdin.write(line.encode() + b"\n")
        self.popen.stdin.flush()
        return self._expect(PROMPT, timeout, repr(line), slow)

    def port_stats(self, port):
        """Returns {'rx': ipackets, 'rx_missed':..., 'tx': opackets, 'tx_errors':...}."""
        out = self.cmd(f"show port stats {port}")
        rx = re.search(r"RX-packets:\s*(\d+)\s+RX-missed:\s*(\d+)", out)
        tx = re.search(r"TX-packets:\s*(\d+)\s+TX-errors:\s*(\d+)", out)
        check(rx and tx, f"cannot parse 'show port stats {port}':\n{out}")
        return {"rx": int(rx.group(1)), "rx_missed": int(rx.group(2)),
                "tx": int(tx.group(1)), "tx_errors": int(tx.group(2))}

    def stop_fwd(self):
        """Runs 'stop'; returns {port: {'rx','rx_dropped','tx','tx_dropped'}}
        from its forward statistics (counts since the last 'start')."""
        out = self.cmd("stop")
        stats = {}
        for m in re.finditer(
                r"Forward statistics for port (\d+)\s+-+\s+"
                r"RX-packets:\s*(\d+)\s+RX-dropped:\s*(\d+)\s+RX-total:\s*\d+\s+"
                r"TX-packets:\s*(\d+)\s+TX-dropped:\s*(\d+)", out):
            stats[int(m.group(1))] = {"rx": int(m.group(2)), "rx_dropped": int(m.group(3)),
                                      "tx": int(m.group(4)), "tx_dropped": int(m.group(5))}
        check(stats, f"no forward statistics in the output of 'stop':\n{out}")
        return stats

    def quit(self, timeout=10.0):
        """Sends 'quit' and waits for the exit (then SIGINT, then SIGKILL);
        returns the exit status."""
        if self.running():
            try:
                self.popen.stdin.write(b"quit\n")
                self.popen.stdin.flush()
                self.popen.stdin.close()
            except (OSError, ValueError):
                pass
            try:
                return self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not quit within {timeout:g} s; interrupting it")
        return self.stop(signal.SIGINT, 5)


class Ctl:
    """A connection to vfailover's control socket (one JSON line each way)."""

    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self._buf = b""

    def send_raw(self, data):
        """Sends bytes as they are."""
        self.sock.sendall(data)

    def read_reply(self):
        """Returns the next reply line, parsed (dict)."""
        while b"\n" not in self._buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise TestFailure(f"control socket closed; pending {self._buf[:200]!r}")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            raise TestFailure(f"control reply is not JSON: {line[:300]!r}") from None

    def request(self, obj):
        """Sends one request object; returns the reply (dict)."""
        self.send_raw(json.dumps(obj).encode() + b"\n")
        return self.read_reply()

    def close(self):
        """Closes the connection."""
        self.sock.close()


def ctl(path, cmd, **args):
    """One request on a fresh connection; returns the reply, which must be ok."""
    c = Ctl(path)
    try:
        reply = c.request(dict(cmd=cmd, **args))
    finally:
        c.close()
    check(reply.get("ok") is True, f"control command {cmd!r} failed: {reply}")
    return reply


def member_stats(ctl_path, uplink=0):
    """Returns the 'stats' entry of uplink index 'uplink'."""
    return ctl(ctl_path, "stats")["uplinks"][uplink]


def telemetry(sock_path, command, timeout=5.0):
    """Runs one command on a DPDK telemetry v2 socket; returns the reply dict."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        json.loads(s.recv(65536))  # the greeting: version, pid, max_output_len
        s.send(command.encode())
        return json.loads(s.recv(1 << 20))


class Harness:
    """One test's temp directory, processes and cleanup."""

    def __init__(self, name, need_hugepages=True):
        self.name = name
        args = sys.argv[1:]
        self.vfailover_bin = os.path.abspath(
            args[0] if len(args) > 0 else os.environ.get("VFAILOVER", "build/vfailover"))
        self.srcdir = os.path.abspath(
            args[1] if len(args) > 1 else os.environ.get("VFO_SRCDIR", "."))
        self.procs = []
        self.prefixes = []
        self.ok = False
        self.t0 = time.monotonic()
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
                f"{name}: FAIL: only {hugepages_free()} free hugepages; the integration "
                "tests need hugepages: run scripts/setup (it reserves 512 x 2 MiB)")
        log(f"{name}: temp dir {self.tmp}")

    def _on_signal(self, sig, frame):
        raise SystemExit(f"{self.name}: interrupted by signal {sig}")

    def path(self, name):
        """Returns a path in the test's temp directory."""
        return os.path.join(self.tmp, name)

    def prefix(self):
        """Returns a new, unique DPDK --file-prefix."""
        p = f"{DPDK_PREFIX}{os.getpid()}x{len(self.prefixes)}"
        self.prefixes.append(p)
        return p

    def eal(self, lcores, vdevs=(), lcore_opt="-l"):
        """Returns EAL arguments: lcores (given to 'lcore_opt': -l, or
        --lcores for a map), in-memory, no PCI, unique prefix, vdevs."""
        a = [lcore_opt, lcores, "--in-memory", "--no-pci", "--file-prefix", self.prefix(),
             "--log-level", "lib.eal:warning"]
        for v in vdevs:
            a += ["--vdev", v]
        return a

    def run(self, name, argv, timeout=30.0):
        """Runs a process to completion; returns the Proc (exit status in
        proc.popen.returncode)."""
        p = Proc(self, name, argv)
        self.procs.append(p)
        p.wait(timeout)
        return p

    def start_vfailover(self, name, app_args, lcores="1", vdevs=(), eal_extra=(),
                        announce=False):
        """Starts vfailover (does not wait for it); returns the Proc.  Unless
        'announce', it runs with --no-announce, so that the RARP frames it
        sends after a switch do not show up in exact packet counts."""
        argv = [self.vfailover_bin] + self.eal(lcores, vdevs) + list(eal_extra) + ["--"] + \
            list(app_args) + ([] if announce else ["--no-announce"])
        p = Proc(self, name, argv)
        p.prefix = self.prefixes[-1]
        self.procs.append(p)
        return p

    def vfailover(self, name, app_args, ctl_path=None, timeout=30.0, **kw):
        """Starts vfailover and waits until it forwards (and, with 'ctl_path',
        until its control socket answers); returns the Proc."""
        p = self.start_vfailover(name, app_args, **kw)

        def ready():
            if not p.running():
                raise TestFailure(f"{name} exited with {p.popen.returncode} while "
                                  f"starting; stderr:\n{p.stderr()}\nstdout:\n{p.stdout()}")
            if "vfailover: forwarding" not in p.stdout():
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

    def testpmd(self, name, vdevs, args=(), lcores="0,1", main_lcore="1", timeout=60.0):
        """Starts an interactive dpdk-testpmd peer (forwarding on the lcore
        that is not the main one) and waits for its prompt; returns it.
        Forwarding lcores are pinned to their CPU; the main lcore (commands)
        and with it EAL's interrupt thread (memif connections) may run on any
        of them: pinned to vfailover's busy-polling CPU, they waited seconds
        for a turn on a loaded machine."""
        check(os.access(TESTPMD, os.X_OK), f"{TESTPMD} not found; run scripts/setup")
        cpus = lcores.split(",")
        lcore_map = ",".join([f"{c}@{c}" for c in cpus if c != main_lcore] +
                             [f"{main_lcore}@({lcores})"])
        # stdbuf: testpmd's printf output must not wait in a pipe buffer
        # while its prompt (written directly) gets ahead of it.
        argv = ["stdbuf", "-o0", "-e0", TESTPMD] + self.eal(lcore_map, vdevs, "--lcores") + [
            "--main-lcore", main_lcore, "--", "-i", "--total-num-mbufs", "16384",
            "--disable-link-check", "--no-lsc-interrupt", "--no-rmv-interrupt"] + list(args)
        p = TestPmd(self, name, argv)
        p.prefix = self.prefixes[-1]
        self.procs.append(p)
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
        """Marks the test as passed (logs are not printed at cleanup)."""
        self.ok = True
        log(f"{self.name}: PASS in {self.elapsed():.1f} s")

    def cleanup(self):
        """Stops every process, prints logs when the test failed, removes the
        temp directory and DPDK runtime directories.  Idempotent."""
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for p in reversed(self.procs):
            if p.running():
                if isinstance(p, TestPmd):
                    p.quit(timeout=5)
                else:
                    p.stop(signal.SIGTERM, timeout=5)
        for p in self.procs:
            p.close_files()
        if not self.ok:
            for p in self.procs:
                for what, path in (("stdout", p.out_path), ("stderr", p.err_path)):
                    try:
                        with open(path, "rb") as f:
                            text = f.read().decode("utf-8", "replace")
                    except OSError:
                        continue
                    if text.strip():
                        print(f"----- {p.name} {what} (exit {p.popen.returncode}) -----")
                        print(text[-6000:])
            sys.stdout.flush()
        shutil.rmtree(self.tmp, ignore_errors=True)
        for pre in self.prefixes:
            shutil.rmtree(dpdk_runtime_dir(pre), ignore_errors=True)
        self.procs = []
        self.prefixes = []


# ---------------------------------------------------------------------------
# Fixture: one uplink of two memif members, reflected (--fwd io) by
# vfailover, with dpdk-testpmd serving both memif sockets.
#   peer port 0 = the VF path (vfailover's vf member)
#   peer port 1 = the backup path (vfailover's backup member)

BURST = 32  # testpmd's default burst: 'start tx_first N' sends N * BURST per port


class MemifReflect:
    """The peer, vfailover and the control socket path of the fixture."""

    def __init__(self, h, extra_args=(), name="vfailover", mac=None, peer_args=()):
        """With 'mac', both memif members get it through their devargs (memif
        cannot change a MAC later) and it is the uplink's --mac; without,
        the uplink MAC defaults to the backup's random one.  'peer_args' go
        to the peer's testpmd (e.g. --txonly-multi-flow)."""
        self.h = h
        mac_arg = f",mac={mac}" if mac else ""
        self.ctl_path = h.path("ctl.sock")
        vf_sock, bk_sock = h.path("vf.sock"), h.path("bk.sock")
        self.peer = h.testpmd("peer", [
            f"net_memif0,role=server,socket={vf_sock},id=0",
            f"net_memif1,role=server,socket={bk_sock},id=0"],
            args=["--port-topology=loop", "--forward-mode=rxonly"] + list(peer_args))
        # The memif sockets are abstract (DPDK's default): no files to go stale.
        # Only port 0 (the VF path) sends with tx_first and is polled.
        self.peer.cmd("set nbport 1")
        self.vfo = h.vfailover(name, [
            "--vf", f"net_memif0,role=client,socket={vf_sock},id=0{mac_arg}",
            "--backup", f"net_memif1,role=client,socket={bk_sock},id=0{mac_arg}",
            "--fwd", "io", "--ctl", self.ctl_path, "--stats-interval", "0"] +
            (["--mac", mac] if mac else []) + list(extra_args),
            ctl_path=self.ctl_path)
        wait_until(self._links_up, 15, "both memif members to come up")

    def _links_up(self):
        st = ctl(self.ctl_path, "status")["uplinks"][0]["members"]
        return all(st[m].get("link_up") for m in ("vf", "backup"))

    def round(self, bursts, member="vf"):
        """The peer sends bursts * BURST packets on the path of 'member' (its
        port 0: the VF path, 1: the backup path) and counts what comes back;
        returns (peer forward stats of that port, vfailover stats delta of
        uplink 0 as {'vf': {...}, 'backup': {...}, 'drops'})."""
        port = 0 if member == "vf" else 1
        before = member_stats(self.ctl_path)
        want = bursts * BURST
        if port != 0:
            self.peer.cmd(f"set portlist {port}")
        self.peer.cmd(f"start tx_first {bursts}")

        def vfo_tx():
            return member_stats(self.ctl_path)["members"][member]["tx_pkts"]
        wait_until(lambda: vfo_tx() - before["members"][member]["tx_pkts"] >= want, 20,
                   f"vfailover to send {want} packets back on {member}")
        wait_stable(lambda: self.peer.port_stats(port)["rx"], 10, "the peer's RX count")
        fs = self.peer.stop_fwd()[port]
        if port != 0:  # back to the fixture's set-up: both ports listed, the first sends
            self.peer.cmd("set portlist 0,1")
            self.peer.cmd("set nbport 1")
        after = member_stats(self.ctl_path)
        delta = {}
        for m in ("vf", "backup"):
            delta[m] = {k: after["members"][m][k] - before["members"][m][k]
                        for k in ("rx_pkts", "tx_pkts")}
        delta["drops"] = {k: after["drops"][k] - before["drops"][k] for k in after["drops"]}
        log(f"round of {want} on {member}: peer {fs}, vfailover {delta}")
        return fs, delta

    def check_round(self, bursts, member="vf"):
        """round() and the exact-count assertions; returns the count."""
        want = bursts * BURST
        other = "backup" if member == "vf" else "vf"
        fs, d = self.round(bursts, member)
        check_eq(fs["tx"], want, f"peer TX-packets on the {member} path")
        check_eq(fs["tx_dropped"], 0, "peer TX-dropped")
        check_eq(fs["rx"], want, f"peer RX-packets on the {member} path (reflected)")
        check_eq(fs["rx_dropped"], 0, "peer RX-dropped")
        check_eq(d[member], {"rx_pkts": want, "tx_pkts": want}, f"vfailover {member} counters")
        check_eq(d[other], {"rx_pkts": 0, "tx_pkts": 0}, f"vfailover {other} counters")
        check_eq(d["drops"], {k: 0 for k in d["drops"]}, "vfailover drops")
        return want


class SerialPeer:
    """The host end of a serial control port (a pty master standing in for
    the host side of a guest's virtio-serial channel): JSON lines."""

    def __init__(self, fd):
        self.fd = fd
        self._buf = b""

    def send_raw(self, data):
        """Writes bytes as they are."""
        os.write(self.fd, data)

    def request(self, obj, timeout=10.0):
        """Sends one request line; returns the parsed reply."""
        self.send_raw(json.dumps(obj).encode() + b"\n")
        return self.read_reply(timeout)

    def read_reply(self, timeout=10.0):
        """Returns the next reply line, parsed."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise TestFailure(f"no reply on the serial port; pending {self._buf[:200]!r}")
            self._buf += os.read(self.fd, 65536)
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)


def main(test_fn, name):
    """Runs test_fn(harness) with a Harness; exits 0 on success, 1 with a
    one-line reason on failure."""
    h = None
    try:
        h = Harness(name)
        test_fn(h)
        h.passed()
    except TestFailure as e:
        print(f"{name}: FAIL: {e}", flush=True)
        sys.exit(1)
    finally:
        if h is not None:
            h.cleanup()
    sys.exit(0)
