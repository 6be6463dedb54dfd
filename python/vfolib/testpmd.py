# SPDX-License-Identifier: BSD-3-Clause
"""testpmd — dpdk-testpmd as a peer or a reference DUT, driven through its
interactive prompt.

    p = TestPmd("peer", testpmd_argv(eal, ["--forward-mode=rxonly"]), log_dir=tmp)
    p.wait_prompt()
    p.cmd("start tx_first 8")
    p.port_stats(0)["rx"]; p.stop_fwd()[0]["tx"]; p.quit()
"""
import re
import shutil
import signal
import subprocess
import time

from .checks import Failure, check, log
from .proc import Proc, thread_stacks, thread_states

TESTPMD = shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd"
PROMPT = b"testpmd> "
BURST = 32  # testpmd's default burst: 'start tx_first N' sends N * BURST per port


def testpmd_argv(eal, args=(), lsc=False, nb_mbufs=16384):
    """Returns an interactive testpmd command line: EAL arguments 'eal',
    link checks and RMV interrupts off (LSC too unless 'lsc'), 'args'.
    stdbuf: its printf output must not wait in a pipe buffer while its
    prompt (written directly) gets ahead of it."""
    return ["stdbuf", "-o0", "-e0", TESTPMD] + list(eal) + [
        "--", "-i", "--total-num-mbufs", str(nb_mbufs), "--disable-link-check",
        "--no-rmv-interrupt"] + ([] if lsc else ["--no-lsc-interrupt"]) + list(args)


class TestPmd(Proc):
    """dpdk-testpmd in interactive mode, driven through its stdin."""

    def __init__(self, name, argv, log_dir=None):
        super().__init__(name, argv, log_dir=log_dir, capture=True, stdin=True)
        self._pos = 0  # output consumed by cmd()

    def _unlocked(self, fn, *args):
        """Runs fn(*args) with the output lock released (the reader goes on
        collecting output meanwhile); call with the lock held."""
        self.cond.release()
        try:
            return fn(*args)
        finally:
            self.cond.acquire()

    def _expect(self, pattern, timeout, what, slow=None):
        """Waits for bytes 'pattern' after the consumed output; returns the
        text before it and consumes through it.  Past 'slow' s the peer's
        thread states are logged (a stall is reported, not hidden); past
        'timeout' s it fails with its thread stacks."""
        t0 = time.monotonic()
        end = t0 + timeout
        states = None
        with self.cond:
            while True:
                i = self.buf.find(pattern, self._pos)
                if i >= 0:
                    text = bytes(self.buf[self._pos:i]).decode("utf-8", "replace")
                    self._pos = i + len(pattern)
                    if states is not None:
                        log(f"{self.name}: {what} answered after {time.monotonic() - t0:.1f} s "
                            f"(over {slow:g} s)")
                    return text
                now = time.monotonic()
                if self.eof:
                    tail = bytes(self.buf[-2000:]).decode("utf-8", "replace")
                    raise Failure(f"{self.name}: exited; last output:\n{tail}")
                if slow is not None and states is None and now - t0 >= slow:
                    states = self._unlocked(thread_states, self.pid)
                    log(f"{self.name} (pid {self.pid}): {what}: no answer after {slow:g} s; "
                        f"threads:\n{states}")
                    continue
                if now >= end:
                    tail = bytes(self.buf[-2000:]).decode("utf-8", "replace")
                    seen = len(self.buf)
                    stacks = self._unlocked(thread_stacks, self.pid)
                    late = self.buf.find(pattern, self._pos) >= 0
                    raise Failure(
                        f"{self.name} (pid {self.pid}): {what}: no {pattern!r} within "
                        f"{timeout:g} s; last output:\n{tail}\n----- {self.name} threads -----\n"
                        f"{stacks}\n----- {self.name} output while the threads were read "
                        f"({'the prompt came late' if late else 'still no prompt'}) -----\n"
                        f"{bytes(self.buf[seen:]).decode('utf-8', 'replace')[-2000:]}")
                wake = end if slow is None or states is not None else min(end, t0 + slow)
                self.cond.wait(max(wake - now, 0.001))

    def wait_prompt(self, timeout=30.0):
        """Waits for the first prompt (ports started); returns the output."""
        return self._expect(PROMPT, timeout, "startup")

    def cmd(self, line, timeout=60.0, slow=15.0):
        """Runs one testpmd command; returns its output (up to the next prompt).
        An answer later than 'slow' s is logged with the peer's thread states;
        none within 'timeout' s fails with its thread stacks.  (CI logs showed
        the peer answering 15+ s late while every process of the test stalled
        together, so 'slow' only reports; see failover_memif.)"""
        with self.cond:
            self._pos = len(self.buf)  # skip asynchronous output and stray prompts
        self.send_line(line)
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
        return self._fwd_stats("stop")

    def fwd_stats(self):
        """Runs 'show fwd stats all' (forwarding goes on); returns what
        stop_fwd() returns."""
        return self._fwd_stats("show fwd stats all")

    def _fwd_stats(self, line):
        """Runs 'line' and returns the forward statistics it printed."""
        out = self.cmd(line)
        stats = {}
        for m in re.finditer(
                r"Forward statistics for port (\d+)\s+-+\s+"
                r"RX-packets:\s*(\d+)\s+RX-dropped:\s*(\d+)\s+RX-total:\s*\d+\s+"
                r"TX-packets:\s*(\d+)\s+TX-dropped:\s*(\d+)", out):
            stats[int(m.group(1))] = {"rx": int(m.group(2)), "rx_dropped": int(m.group(3)),
                                      "tx": int(m.group(4)), "tx_dropped": int(m.group(5))}
        check(stats, f"no forward statistics in the output of '{line}':\n{out}")
        return stats

    def quit(self, timeout=10.0):
        """Sends 'quit' and waits for the exit (then SIGINT, then SIGKILL);
        returns the exit status."""
        if self.running():
            self.send_line("quit")
            try:
                self.popen.stdin.close()
            except OSError:
                pass
            try:
                return self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not quit within {timeout:g} s; interrupting it")
        return self.stop(signal.SIGINT, 5)
