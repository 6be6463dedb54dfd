# SPDX-License-Identifier: BSD-3-Clause
"""checks — assertions and waits of tests and benchmarks.

    check(rc == 0, "vfailover exit status")
    check_eq(got, want, "peer RX count")
    wait_until(lambda: ctl(path, "status")["uplinks"], 10, "the control socket")
    wait_stable(lambda: peer.port_stats(0)["rx"], 10, "the peer's RX count")

Everything here raises Failure, the exception a test reports as its
one-line reason.
"""
import collections
import time


class Failure(Exception):
    """A check failed or a wait timed out."""


def check(cond, msg):
    """Raises Failure(msg) unless 'cond'."""
    if not cond:
        raise Failure(msg)


def check_eq(got, want, what):
    """Raises Failure unless got == want."""
    if got != want:
        raise Failure(f"{what}: got {got!r}, want {want!r}")


RECENT = collections.deque(maxlen=12)  # the last progress lines, for a failure's summary


def log(msg):
    """Prints a progress line with the wall-clock time (kept in RECENT)."""
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    RECENT.append(line)
    print(line, flush=True)


def mono_us():
    """CLOCK_MONOTONIC in µs: the clock of vfailover's failover timeline."""
    return int(time.monotonic() * 1e6)


def wait_until(fn, timeout, what, interval=0.05):
    """Calls fn() until it returns a true value, which is returned; raises
    Failure after 'timeout' seconds."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise Failure(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def wait_stable(fn, timeout, what, settle=0.4, interval=0.1):
    """Calls fn() until its value has not changed for 'settle' seconds and
    returns that value; raises Failure after 'timeout' seconds."""
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
            raise Failure(f"timed out after {timeout:g} s waiting for {what} "
                          f"to settle (last value {last!r})")
