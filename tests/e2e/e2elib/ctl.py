# SPDX-License-Identifier: BSD-3-Clause
"""ctl — the host end of vfailover's control channel in the guest.

QEMU exposes the guest's virtio-serial port org.vfailover.0 as a UNIX
socket (a chardev server); vfailover --ctl-serial serves its JSON-lines
control protocol (README, "Control socket") on the guest end.  Requests
carry an "id" and the reply with the same id is returned.
"""
import itertools
import time

from .jsonlines import JsonLines, JsonLinesError


class CtlError(Exception):
    """No reply in time, or the channel broke."""


class GuestCtl:
    """A connection to the control channel of one VM."""

    _ids = itertools.count(1)

    def __init__(self, path, timeout=10):
        """Connects to QEMU's chardev socket 'path'."""
        try:
            self.conn = JsonLines(path, timeout)  # the channel
        except JsonLinesError as e:
            raise CtlError(f"control channel: {e}")

    def close(self):
        """Closes the connection."""
        self.conn.close()

    def call(self, cmd, timeout=10, **args):
        """Sends {"cmd": cmd, "id": N, **args}; returns the reply with id N
        (other lines are skipped).  Raises CtlError on timeout."""
        rid = next(self._ids)
        self.conn.send(dict(cmd=cmd, id=rid, **args))
        end = time.monotonic() + timeout
        while True:
            try:
                r = self.conn.read(max(0.0, end - time.monotonic()))
            except JsonLinesError as e:
                raise CtlError(f"no reply to '{cmd}': {e}")
            if isinstance(r, dict) and r.get("id") == rid:
                return r

    def active(self, timeout=5):
        """Returns the active member ("vf", "backup", ...) of the first uplink."""
        r = self.call("status", timeout)
        return r["uplinks"][0]["active"]
