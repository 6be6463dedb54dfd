# SPDX-License-Identifier: BSD-3-Clause
"""ctl — the client side of the control protocol (docs/control-protocol.md):
vfailover's --ctl socket, the host end of its --ctl-serial channel, and
vfprobe's --ctl socket.

    reply = ctl(path, "prepare", uplink="u0")        # one request; must be ok
    with Ctl(path, timeout=10) as c:
        c.call("status")                              # by id: skips stale replies
        c.request({"cmd": "help"})                    # the next reply, whatever it is

A request may carry an "id", echoed in its reply; call() uses that to skip
replies left from earlier requests (a virtio-serial peer hands a reply it
could not send to the next connection).
"""
import itertools
import json
import os
import select
import time

from .jsonlines import JsonLines, JsonLinesError


class CtlError(JsonLinesError):
    """The peer answered {"ok": false} (or nothing usable)."""


class Ctl(JsonLines):
    """One connection to a control socket."""

    # Request ids of this process: start from the pid so that two processes
    # sharing a channel do not pick the same ones.
    _ids = itertools.count(os.getpid() * 1000000 + 1)

    def __init__(self, path, timeout=5.0, connect_timeout=0.0, alive=None):
        """Connects to 'path' (retrying for 'connect_timeout' s while alive()
        holds, see JsonLines); replies are waited for up to 'timeout' s."""
        super().__init__(path, connect_timeout, alive)
        self.timeout = timeout  # default reply timeout (s)

    def read_reply(self, timeout=None):
        """Returns the next reply, parsed; a line that is not JSON raises
        JsonLinesError."""
        return self.read(self.timeout if timeout is None else timeout, strict=True)

    def request(self, obj, timeout=None):
        """Sends request object 'obj'; returns the next reply (ok or not)."""
        self.send(obj)
        return self.read_reply(timeout)

    def call(self, cmd, timeout=None, **args):
        """Sends {"cmd": cmd, "id": N, **args}; returns the reply with id N
        (ok or not), skipping other lines."""
        rid = next(self._ids)
        self.send(dict(cmd=cmd, id=rid, **args))
        timeout = self.timeout if timeout is None else timeout
        end = time.monotonic() + timeout
        while True:
            r = self.read(max(0.0, end - time.monotonic()))
            if isinstance(r, dict) and r.get("id") == rid:
                return r

    def ok(self, cmd, timeout=None, **args):
        """call() that raises CtlError unless the reply says "ok": true."""
        r = self.call(cmd, timeout, **args)
        if r.get("ok") is not True:
            raise CtlError(f"control command {cmd!r} on {self.path} failed: {r}")
        return r


def ctl(path, cmd, timeout=5.0, **args):
    """One request on a fresh connection; returns the reply, which must be
    ok (CtlError otherwise; JsonLinesError when the socket cannot be
    reached or does not answer)."""
    with Ctl(path, timeout) as c:
        return c.ok(cmd, **args)


def build_request(cmd, pairs):
    """Returns the request object for command 'cmd' and 'key=value' strings:
    a value that parses as JSON is sent as JSON, anything else as a string.
    Raises ValueError naming an argument that is not key=value."""
    req = {"cmd": cmd}
    for kv in pairs:
        key, sep, val = kv.partition("=")
        if not sep or not key:
            raise ValueError(f"argument '{kv}' is not key=value")
        try:
            req[key] = json.loads(val)
        except json.JSONDecodeError:
            req[key] = val
    return req


def member_stats(ctl_path, uplink=0):
    """Returns the "stats" entry of uplink index 'uplink' of vfailover."""
    return ctl(ctl_path, "stats")["uplinks"][uplink]


class SerialPeer:
    """The host end of a serial control port: a pty master standing in for
    the host side of a guest's virtio-serial channel (--ctl-serial), one
    JSON value per line."""

    def __init__(self, fd):
        self.fd = fd
        self._buf = b""

    def send_raw(self, data):
        """Writes bytes as they are (tests of malformed input)."""
        os.write(self.fd, data)

    def request(self, obj, timeout=10.0):
        """Sends one request line; returns the parsed reply."""
        self.send_raw(json.dumps(obj).encode() + b"\n")
        return self.read_reply(timeout)

    def read_reply(self, timeout=10.0):
        """Returns the next reply line, parsed; JsonLinesError when nothing
        complete comes within 'timeout' s."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise JsonLinesError(f"no reply on the serial port within {timeout:g} s; "
                                     f"pending {self._buf[:200]!r}")
            self._buf += os.read(self.fd, 65536)
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)
