# SPDX-License-Identifier: BSD-3-Clause
"""qmp — a minimal QEMU Machine Protocol client (stdlib only).

    q = Qmp("/path/qmp.sock")          # connects, negotiates capabilities
    q.cmd("device_del", id="vf")        # returns "return", raises QmpError
    ev = q.wait_event("DEVICE_DELETED", timeout=10, data={"device": "vf"})

Events that arrive while waiting for a reply are queued with their
timestamps (QEMU's own, seconds since the epoch) and handed out by
wait_event().  Not thread-safe: one user per connection.
"""
import time

from vfolib.jsonlines import JsonLines, JsonLinesError


class QmpError(Exception):
    """A QMP command failed or the connection broke."""


class Qmp:
    """One QMP connection over a UNIX socket."""

    def __init__(self, path, timeout=30):
        """Connects to 'path' (retrying until 'timeout' s while QEMU starts)
        and enters command mode."""
        try:
            self.conn = JsonLines(path, timeout)  # the socket
        except JsonLinesError as e:
            raise QmpError(f"QMP: {e}")
        self.events = []  # events received, not yet taken
        self._read(timeout)  # greeting
        self.cmd("qmp_capabilities")

    def close(self):
        """Closes the connection."""
        self.conn.close()

    def _read(self, timeout):
        """Returns the next message; raises QmpError on timeout or EOF."""
        try:
            return self.conn.read(timeout)
        except JsonLinesError as e:
            raise QmpError(f"QMP: {e}")

    def cmd(self, name, timeout=30, **args):
        """Runs command 'name' with 'args'; returns its "return" value or
        raises QmpError with QEMU's error description."""
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.conn.send(msg)
        while True:
            r = self._read(timeout)
            if "event" in r:
                self.events.append(r)
            elif "error" in r:
                raise QmpError(f"QMP {name}: {r['error'].get('desc', r['error'])}")
            elif "return" in r:
                return r["return"]

    def wait_event(self, name, timeout, data=None):
        """Returns the first queued or arriving event called 'name' whose
        data contains the items of 'data'; raises QmpError on timeout."""
        end = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev["event"] == name and all(
                        ev.get("data", {}).get(k) == v for k, v in (data or {}).items()):
                    return self.events.pop(i)
            left = end - time.monotonic()
            if left <= 0:
                raise QmpError(f"QMP: no {name} event within {timeout:g} s")
            try:
                self.events.append(self.conn.read(left))
            except JsonLinesError as e:
                if time.monotonic() >= end:
                    raise QmpError(f"QMP: no {name} event within {timeout:g} s")
                raise QmpError(f"QMP: {e}")

    @staticmethod
    def event_time(ev):
        """Returns an event's QEMU timestamp in seconds (wall clock)."""
        t = ev.get("timestamp", {})
        return t.get("seconds", 0) + t.get("microseconds", 0) / 1e6
