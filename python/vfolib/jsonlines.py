# SPDX-License-Identifier: BSD-3-Clause
"""jsonlines — a UNIX stream socket carrying one JSON value per line.

QMP, vfailover's control channel and vfprobe's control socket all speak
this way; each client wraps one JsonLines.  Not thread-safe.
"""
import json
import socket
import time


class JsonLinesError(Exception):
    """Connecting failed, the peer closed, or nothing came in time."""


class JsonLines:
    """One connection: send() a value, read() the next one."""

    def __init__(self, path, timeout, alive=None):
        """Connects to UNIX socket 'path', retrying for 'timeout' s while the
        peer starts (and while alive() is true, when given)."""
        end = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > end or (alive and not alive()):
                    raise JsonLinesError(f"cannot connect to {path}")
                time.sleep(0.05)
        self.buf = b""  # received bytes, not yet a full line

    def close(self):
        """Closes the connection."""
        self.sock.close()

    def send(self, value):
        """Sends 'value' as one line."""
        self.sock.sendall(json.dumps(value).encode() + b"\n")

    def read(self, timeout):
        """Returns the next value that parses (other lines are skipped);
        raises JsonLinesError on timeout or when the peer closes."""
        end = time.monotonic() + timeout
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                try:
                    return json.loads(line)
                except ValueError:
                    continue
            left = end - time.monotonic()
            if left <= 0:
                raise JsonLinesError(f"nothing received within {timeout:g} s")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise JsonLinesError("connection closed by the peer")
            self.buf += chunk
