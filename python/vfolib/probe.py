# SPDX-License-Identifier: BSD-3-Clause
"""probe — vfprobe, the project's traffic probe (docs/probe.md), run from
Python.

    argv = vfprobe_argv(binary, eal, ["net_ring0"], ["--count", "1000", "--json", path])
    run = ProbeRun(proc, ctl_path, json_path)     # proc started with --ctl and --json
    run.wait_sending()
    t, reply = run.switch(1)                      # reply["seq"]: first sent on port 1
    run.mark("host on path 1"); run.stop()
    report = run.finish()                         # exit 0, the JSON report
    lost_in(report, lo, hi)                       # loss within sequence numbers [lo, hi)

A run's process is started by the caller (in a Harness, or in a network
namespace), so ProbeRun only needs something with poll() and its paths.
"""
import json
import time

from .checks import Failure
from .ctl import Ctl
from .jsonlines import JsonLinesError


class ProbeError(Failure):
    """vfprobe failed, exited early or did not answer."""


def vfprobe_argv(binary, eal, ports, args=()):
    """Returns vfprobe's command line: EAL arguments 'eal', one --port per
    devargs of 'ports' (numbered 0, 1, ... in that order), then 'args'."""
    a = [binary] + list(eal) + ["--"]
    for p in ports:
        a += ["--port", p]
    return a + list(args)


def read_report(path):
    """Returns the JSON report vfprobe wrote to 'path'."""
    with open(path) as f:
        return json.load(f)


def lost_in(rep, lo, hi):
    """Packets of the report's gaps whose sequence numbers fall in [lo, hi)."""
    n = 0
    for g in rep.get("gaps", []):
        a, b = max(g["first_seq"], lo), min(g["last_seq"] + 1, hi)
        if b > a and g.get("missing", 0) > 0:
            n += min(b - a, g["missing"])
    return n


class ProbeRun:
    """A running vfprobe and its control socket."""

    def __init__(self, proc, ctl_path, json_path, start_timeout=20.0, log_tail=None):
        """Connects to the control socket of 'proc' (anything with poll(),
        started with --ctl ctl_path --json json_path), waiting up to
        'start_timeout' s while it starts; log_tail() (optional) says what
        it printed, for error messages."""
        self.proc = proc  # the process
        self.json_path = json_path  # its report
        self.log_tail = log_tail or (lambda: "")
        try:
            self.ctl = Ctl(ctl_path, timeout=15.0, connect_timeout=start_timeout,
                           alive=lambda: proc.poll() is None)
        except JsonLinesError:
            raise ProbeError(f"vfprobe did not start: {self.log_tail()}") from None

    def call(self, cmd, **args):
        """Sends one control command and returns its reply, which must be
        ok (a starved vfprobe can take seconds to answer)."""
        try:
            r = self.ctl.call(cmd, **args)
        except JsonLinesError as e:
            raise ProbeError(f"vfprobe {cmd}: {e}") from None
        if r.get("ok") is not True:
            raise ProbeError(f"vfprobe {cmd}: {r.get('error')}")
        return r

    def stats(self):
        """Returns the live counters ("stats")."""
        return self.call("stats")

    def wait_sending(self, timeout=20.0):
        """Waits until it sends (it first waits for its links; a switch is
        only taken while it sends)."""
        end = time.monotonic() + timeout
        while not self.stats().get("sending"):
            if time.monotonic() > end:
                raise ProbeError(f"vfprobe did not start sending: {self.log_tail()}")
            time.sleep(0.05)

    def switch(self, port, attempts=3):
        """Moves sending to 'port', asking again (up to 'attempts' times) if
        its TX lcore, starved of CPU, did not take it in time; returns the
        monotonic time of the command that worked and its reply."""
        for i in range(attempts):
            t = time.monotonic()
            try:
                return t, self.call("switch", port=port)
            except ProbeError:
                if i == attempts - 1:
                    raise

    def mark(self, text):
        """Puts event 'mark: TEXT' in the run's timeline."""
        return self.call("mark", text=text)

    def stop(self):
        """Stops sending; the run ends after its linger time."""
        return self.call("stop")

    def finish(self, timeout=60.0):
        """Waits for the run to end (exit 0) and returns its JSON report."""
        end = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > end:
                raise ProbeError(f"vfprobe did not finish within {timeout:g} s")
            time.sleep(0.05)
        self.ctl.close()
        rc = self.proc.poll()
        if rc != 0:
            raise ProbeError(f"vfprobe exited {rc}: {self.log_tail()}")
        return read_report(self.json_path)
