# SPDX-License-Identifier: BSD-3-Clause
"""ctl — the host end of vfailover's control channel in the guest.

QEMU exposes the guest's virtio-serial port org.vfailover.0 as a UNIX
socket (a chardev server); vfailover --ctl-serial serves its JSON-lines
control protocol (README, "Control socket") on the guest end.  Requests
carry an "id" and the reply with the same id is returned.
"""
import itertools
import json
import socket
import time


class CtlError(Exception):
    """No reply in time, or the channel broke."""


class GuestCtl:
    """A connection to the control channel of one VM."""

    _ids = itertools.count(1)

    def __init__(self, path, timeout=10):
        """Connects to QEMU's chardev socket 'path'."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        end = time.monotonic() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except OSError:
                if time.monotonic() > end:
                    raise CtlError(f"cannot connect to the control channel {path}")
                time.sleep(0.05)
        self.buf = b""  # received bytes not yet a full line

    def close(self):
        """Closes the connection."""
        self.sock.close()

    def call(self, cmd, timeout=10, **args):
        """Sends {"cmd": cmd, "id": N, **args}; returns the reply with id N
        (other lines are skipped).  Raises CtlError on timeout."""
        rid = next(self._ids)
        req = dict(cmd=cmd, id=rid, **args)
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        end = time.monotonic() + timeout
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                try:
                    r = json.loads(line)
                except ValueError:
                    continue
                if isinstance(r, dict) and r.get("id") == rid:
                    return r
            left = end - time.monotonic()
            if left <= 0:
                raise CtlError(f"no reply to '{cmd}' within {timeout:g} s")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise CtlError("control channel closed")
            self.buf += chunk

    def active(self, timeout=5):
        """Returns the active member ("vf", "backup", ...) of the first uplink."""
        r = self.call("status", timeout)
        return r["uplinks"][0]["active"]
