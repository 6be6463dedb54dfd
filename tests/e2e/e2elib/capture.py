# SPDX-License-Identifier: BSD-3-Clause
"""capture — tcpdump on the host side of a run's paths, into pcap files.

    cap = Capture(tb, {"pv": "pvb", "pb": "pbb", "sb": "sb", "db": "db"})
    ...                                  # the run
    stats = cap.stop()                   # {"pv": {"path", "captured", "dropped"}, ...}

One tcpdump per interface, inside the run's namespace, started before the
traffic (each is waited for until it says it listens), writing classic
pcap (-w) of the first 128 bytes of every frame, 16 MiB of kernel buffer
(nothing is lost at the study's rates: stop() reads tcpdump's own count of
frames the kernel dropped, and the outside check refuses a capture that
lost any).  Timestamps are the kernel's, CLOCK_REALTIME µs.  tcpdump is
not in immediate mode (it wakes once per filled or timed-out block, not
per frame, so it takes little CPU from the run): frames reach the file up
to its 1 s block timeout late, so stop() waits SETTLE_S after the last
traffic before it stops them.
"""
import os
import re
import signal
import subprocess
import threading
import time

SNAPLEN = 128
BUFFER_KIB = 16384
START_TIMEOUT_S = 10
SETTLE_S = 1.2  # > libpcap's block timeout (tcpdump: 1000 ms)


class CaptureError(Exception):
    """tcpdump did not start or did not report its counters."""


class Capture:
    """tcpdump on some interfaces of a Testbed's namespace."""

    def __init__(self, tb, ifaces, netns=True):
        """Starts one tcpdump per entry of ifaces = {name: interface} (in the
        testbed's namespace, or the machine's with netns False), writing
        tb.path("NAME.pcap"); returns once every one listens."""
        self.files = {}  # name -> pcap path
        self.procs = {}  # name -> Popen
        self.logs = {}  # name -> tcpdump's stderr file
        for name, iface in ifaces.items():
            path, log = tb.path(f"{name}.pcap"), tb.path(f"{name}.tcpdump.log")
            with open(log, "wb") as err:
                argv = ["tcpdump", "-i", iface, "-w", path, "-s", str(SNAPLEN), "-B",
                        str(BUFFER_KIB), "-n"]
                p = subprocess.Popen(tb.net.run(argv) if netns else argv,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                    preexec_fn=os.setpgrp)
            tb.procs.append(p)  # killed by the testbed if we fail
            self.files[name], self.procs[name], self.logs[name] = path, p, log
        end = time.monotonic() + START_TIMEOUT_S
        for name in ifaces:
            while "listening on" not in self._log(name):
                if self.procs[name].poll() is not None or time.monotonic() > end:
                    raise CaptureError(f"tcpdump on {ifaces[name]} did not start: "
                                       f"{self._log(name).strip()[-300:]}")
                time.sleep(0.02)

    def _log(self, name):
        """Returns what tcpdump 'name' printed on stderr."""
        with open(self.logs[name], errors="replace") as f:
            return f.read()

    def stop(self, traffic_end):
        """Stops every tcpdump (SIGINT: it flushes and prints its counters)
        SETTLE_S after monotonic time 'traffic_end'; returns {name: {"path",
        "captured", "dropped"}} (dropped: frames the kernel dropped for want
        of buffer)."""
        out = {}
        time.sleep(max(0.0, traffic_end + SETTLE_S - time.monotonic()))
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for name, p in self.procs.items():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            log = self._log(name)
            cap = re.search(r"(\d+) packets? captured", log)
            drop = re.search(r"(\d+) packets? dropped by kernel", log)
            if not cap or not drop:
                raise CaptureError(f"tcpdump {name} printed no counters: {log.strip()[-300:]}")
            out[name] = {"path": self.files[name], "captured": int(cap.group(1)),
                         "dropped": int(drop.group(1))}
        return out


class RarpWatch:
    """tcpdump printing every RARP (ethertype 0x8035: vfailover's and QEMU's
    announcements) seen on one interface of the namespace, in immediate
    mode; a thread notes the monotonic time of each.  What a learning
    switch reacts to."""

    def __init__(self, tb, iface):
        """Starts watching 'iface'; returns once tcpdump listens."""
        self.times = []  # monotonic time of each RARP line
        self.proc = subprocess.Popen(tb.net.run(
            ["tcpdump", "-l", "-n", "--immediate-mode", "-i", iface, "ether", "proto",
             "0x8035"]), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, preexec_fn=os.setpgrp)
        tb.procs.append(self.proc)
        said = ""
        while "listening on" not in said:
            line = self.proc.stderr.readline()
            if not line:
                raise CaptureError(f"tcpdump (RARP) on {iface} did not start: {said.strip()}")
            said += line
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        """Notes the time of every line tcpdump prints."""
        for _ in self.proc.stdout:
            self.times.append(time.monotonic())

    def wait_after(self, t0, timeout):
        """Returns the monotonic time of the first RARP after t0, waiting up
        to 'timeout' s; None if none came."""
        end = time.monotonic() + timeout
        while True:
            seen = [t for t in self.times if t >= t0]
            if seen:
                return seen[0]
            if time.monotonic() > end:
                return None
            time.sleep(0.001)

    def stop(self):
        """Stops the watch."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
