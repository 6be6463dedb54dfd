# SPDX-License-Identifier: BSD-3-Clause
"""proc — child processes that die with their parent.

    p = Proc("vfo", argv, log_dir=tmp)              # stdout/stderr to tmp/vfo.out, .err
    p = Proc("peer", argv, log_dir=tmp, capture=True, stdin=True)   # output also in memory
    p.expect(r"testpmd> ", 30); p.send_line("start")
    p.stop()                                         # SIGTERM, then SIGKILL

Every child gets PR_SET_PDEATHSIG(SIGKILL): when the test or script dies,
even by SIGKILL, its children die too.  thread_states() and
thread_stacks() describe a child that hangs.
"""
import ctypes
import os
import re
import shutil
import signal
import subprocess
import threading
import time

from .checks import Failure, log

_PR_SET_PDEATHSIG = 1


def set_pdeathsig():
    """preexec_fn: the child gets SIGKILL when its parent dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except OSError:
        pass


def pid_alive(pid):
    """True when process 'pid' exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


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
    bt = "\n".join(ln for ln in out.splitlines() if ln.startswith(("Thread", "#")))
    return f"{states}\n{bt or r.stderr.decode('utf-8', 'replace')}"


class Proc:
    """A child process.  Its stdout goes to LOG_DIR/NAME.out and its stderr
    to LOG_DIR/NAME.err (no log_dir: nowhere); with 'capture' its stdout is
    also collected in memory by a thread, for expect() and wait_for()."""

    def __init__(self, name, argv, log_dir=None, capture=False, stdin=False,
                 merge_stderr=False, new_session=False, cwd=None):
        """Starts 'argv'.  stdin: give it a pipe (send_line) instead of
        /dev/null; merge_stderr: stderr goes with stdout; new_session: the
        child leads a process group of its own, and stop() signals the whole
        group."""
        self.name = name  # for messages
        self.argv = argv  # the command line
        self.new_session = new_session  # stop() signals the group
        self.out_path = os.path.join(log_dir, f"{name}.out") if log_dir else None
        self.err_path = os.path.join(log_dir, f"{name}.err") if log_dir else None
        self._out = open(self.out_path, "wb") if log_dir else None  # stdout log
        self._err = open(self.err_path, "wb") if log_dir and not merge_stderr else None
        self.buf = bytearray()  # captured stdout
        self.cond = threading.Condition()  # guards buf and eof; notified on output
        self.eof = False  # the captured stdout ended
        out = subprocess.PIPE if capture else (self._out or subprocess.DEVNULL)
        err = subprocess.STDOUT if merge_stderr else (self._err or subprocess.DEVNULL)
        self.popen = subprocess.Popen(
            argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=out,
            stderr=err, preexec_fn=set_pdeathsig, start_new_session=new_session, cwd=cwd)
        self.pid = self.popen.pid  # its pid
        self.reader = None  # the thread collecting stdout (capture)
        if capture:
            self.reader = threading.Thread(target=self._read, daemon=True)
            self.reader.start()

    def _read(self):
        fd = self.popen.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            # Output reaches waiters first; the log file (disk) cannot delay it.
            with self.cond:
                if chunk:
                    self.buf += chunk
                else:
                    self.eof = True
                self.cond.notify_all()
            if self._out is not None:
                try:
                    self._out.write(chunk)
                    self._out.flush()
                except ValueError:
                    pass  # the log file was closed at clean-up
            if not chunk:
                return

    def running(self):
        """True while the process has not exited."""
        return self.popen.poll() is None

    def poll(self):
        """The exit status, or None while it runs (as Popen.poll)."""
        return self.popen.poll()

    def wait(self, timeout):
        """Waits up to 'timeout' s for the exit; returns the exit status or
        raises Failure."""
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"{self.name} (pid {self.pid}) did not exit within "
                          f"{timeout:g} s") from None

    def send_signal(self, sig):
        """Sends 'sig' to the process (its group with new_session) if it
        still runs."""
        if not self.running():
            return
        try:
            if self.new_session:
                os.killpg(self.pid, sig)
            else:
                self.popen.send_signal(sig)
        except ProcessLookupError:
            pass

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Sends 'sig', waits, escalates to SIGKILL (with the thread stacks
        of a process that ignored it in the log); returns the exit status."""
        self.send_signal(sig)
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"{self.name} ignored signal {sig}; thread stacks:\n{thread_stacks(self.pid)}")
            log(f"killing {self.name}")
            self.send_signal(signal.SIGKILL)
            rc = self.popen.wait(5)
        if self.new_session:
            try:  # what the group still holds
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.reader is not None:
            self.reader.join(2)
        return rc

    def send_line(self, line):
        """Writes 'line' and a newline to the process's stdin; False when it
        is gone."""
        try:
            self.popen.stdin.write(line.encode() + b"\n")
            self.popen.stdin.flush()
            return True
        except (OSError, ValueError):
            return False

    def text(self):
        """Returns the captured stdout so far (str)."""
        with self.cond:
            return bytes(self.buf).decode("utf-8", "replace")

    def wait_for(self, pred, timeout):
        """Waits until pred(text()) is true and returns its value; None when
        'timeout' s pass or the output ends first."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                v = pred(bytes(self.buf).decode("utf-8", "replace"))
                if v:
                    return v
                left = end - time.monotonic()
                if left <= 0 or self.eof:
                    return None
                self.cond.wait(min(left, 0.2))

    def expect(self, regex, timeout, since=0):
        """Waits for 'regex' in the captured output from offset 'since';
        returns the match, or None."""
        r = re.compile(regex)
        return self.wait_for(lambda t: r.search(t, since), timeout)

    def tail(self, n=25):
        """Returns the last 'n' lines of the captured output."""
        return "\n".join(self.text().splitlines()[-n:])

    def stdout(self):
        """Returns what the process wrote to stdout so far (str)."""
        if self.reader is not None:
            return self.text()
        return self._read_log(self._out, self.out_path)

    def stderr(self):
        """Returns what the process wrote to stderr so far (str; "" when it
        goes nowhere or with stdout)."""
        return self._read_log(self._err, self.err_path)

    @staticmethod
    def _read_log(f, path):
        if f is None:
            return ""
        if not f.closed:
            f.flush()
        with open(path, "rb") as g:
            return g.read().decode("utf-8", "replace")

    def close_files(self):
        """Closes the log files (the child keeps its own descriptors)."""
        for f in (self._out, self._err):
            if f is not None and not f.closed:
                f.close()
