# SPDX-License-Identifier: BSD-3-Clause
"""jsonlines — a UNIX stream socket carrying one JSON value per line.

    with JsonLines(path, timeout=20) as conn:    # retries while the peer starts
        conn.send({"cmd": "status"})
        reply = conn.read(5)

vfailover's and vfprobe's control sockets, the host end of a guest's
virtio-serial control channel and QMP all speak this way; each client
wraps one JsonLines.  Not thread-safe.
"""
import json
import socket
import time

from .checks import Failure


class JsonLinesError(Failure, OSError):
    """Connecting failed, the peer closed, sent what is not JSON (strict
    reads), or nothing came in time.  An OSError, so code that handles
    socket errors handles it; a Failure, so a test reports it as its
    reason."""


class JsonLines:
    """One connection: send() a value, read() the next one."""

    def __init__(self, path, timeout=0.0, alive=None):
        """Connects to UNIX socket 'path', retrying for 'timeout' s while the
        peer starts (and while alive() is true, when given); timeout 0: one
        try.  Raises JsonLinesError naming the path."""
        self.path = path  # for messages
        end = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.connect(path)
                break
            except OSError as e:
                self.sock.close()
                if time.monotonic() >= end or (alive and not alive()):
                    raise JsonLinesError(e.errno, f"cannot connect to {path}: "
                                         f"{e.strerror or e}") from None
                time.sleep(0.05)
        self.buf = b""  # received bytes, not yet a full line

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """Closes the connection."""
        self.sock.close()

    def send_raw(self, data):
        """Sends bytes as they are (tests of malformed input)."""
        self.sock.sendall(data)

    def send(self, value):
        """Sends 'value' as one compact line."""
        self.send_raw(json.dumps(value, separators=(",", ":")).encode() + b"\n")

    def read_line(self, timeout):
        """Returns the next line (bytes, without its newline); raises
        JsonLinesError on timeout or when the peer closes."""
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise JsonLinesError(f"nothing from {self.path} within {timeout:g} s")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise JsonLinesError(f"{self.path} closed the connection; pending "
                                     f"{self.buf[:200]!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def read(self, timeout, strict=False):
        """Returns the next line's value.  A line that is not JSON is skipped
        (QMP and a guest's channel may carry noise), or with 'strict' raises
        JsonLinesError.  Raises JsonLinesError on timeout or when the peer
        closes."""
        end = time.monotonic() + timeout
        while True:
            line = self.read_line(max(0.0, end - time.monotonic()))
            try:
                return json.loads(line)
            except ValueError:
                if strict:
                    raise JsonLinesError(f"{self.path} sent a line that is not JSON: "
                                         f"{line[:300]!r}") from None
