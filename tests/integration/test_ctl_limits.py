#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ctl_limits: silent control clients cannot lock the others out.

vfailover (null members, --ctl-idle-ms 1500, the protocol also on a pty
with --ctl-serial):

- 40 clients connect and send nothing: 16 take the slots, the others are
  told "too many control clients" (no client can be evicted yet: they are
  all under a second old);
- a second later a new client gets the slot of the one idle the longest
  (which is told why) and its 'status' is answered;
- at the idle timeout every remaining silent client gets the idle error
  line, then its connection closes;
- a client that sends a request line without its newline and then
  trickles spaces is closed at the timeout too ("not finished");
- on the serial port, half a request followed by silence is dropped at
  the timeout with an error reply; the next request is answered; and
  silence alone never closes anything there.
Afterwards 'status' still answers on both transports.

    test_ctl_limits.py VFAILOVER_BIN SOURCE_DIR
"""
import os
import socket
import time

import vfotest
from vfotest import check, check_eq, log

IDLE_MS = 1500
CLIENTS = 40


def connect(path):
    """A client socket connected to 'path' (retried while the listen
    backlog is full: vfailover accepts every millisecond)."""
    for _ in range(500):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            time.sleep(0.01)
    raise vfotest.TestFailure(f"cannot connect to {path}: backlog full for 5 s")


def read_all(s, timeout):
    """Reads until EOF (or 'timeout' s); returns (bytes, reached EOF)."""
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return data, True
            data += chunk
    except socket.timeout:
        return data, False
    except ConnectionResetError:
        return data, True


def test(h):
    master, slave = os.openpty()
    pts = os.ttyname(slave)
    os.close(slave)
    path = h.path("ctl.sock")
    vfo = h.vfailover("vfo", ["--vf", "net_null0,no-rx=1", "--backup", "net_null1,no-rx=1",
                              "--ctl", path, "--ctl-serial", pts, "--ctl-idle-ms", str(IDLE_MS),
                              "--stats-interval", "0"], ctl_path=path)
    serial = vfotest.SerialPeer(master)
    t0 = time.monotonic()
    socks = [connect(path) for _ in range(CLIENTS)]
    # Which were refused: those that get the message and EOF in 0.5 s.
    held, busy = [], 0
    time.sleep(0.3)
    for s in socks:
        data, eof = read_all(s, 0.01)
        if eof:
            check(b"too many control clients" in data, f"a refused client got {data!r}")
            busy += 1
        else:
            held.append(s)
    log(f"{CLIENTS} silent clients: {busy} told 'too many control clients'")
    check_eq((len(held), busy), (16, CLIENTS - 16), "clients held and refused")

    slow = None
    time.sleep(max(0, 1.1 - (time.monotonic() - t0)))
    c = vfotest.Ctl(path)  # takes the slot of the client idle the longest
    check_eq(c.request({"cmd": "status"})["ok"], True, "status from a new client, slots full")
    c.close()
    slow = connect(path)  # a request line that never ends: a byte every 0.3 s
    slow.sendall(b'{"cmd":"status"')

    # Serial: half a request, then silence.
    serial.send_raw(b'{"cmd":"sta')
    deadline = time.monotonic() + IDLE_MS / 1000 + 3
    idle = evicted = 0
    for s in held:
        data, eof = read_all(s, max(0.1, deadline - time.monotonic()))
        idle += b"nothing sent or read for 1500 ms" in data and eof
        evicted += b"while every control slot was taken" in data and eof
    log(f"held clients: {evicted} evicted, {idle} closed for idling")
    # The status client evicted one; the next client a second one if the
    # status client's slot was not free yet when it came.
    check(evicted in (1, 2) and evicted + idle == 16,
          f"held clients: {evicted} evicted + {idle} idle-closed, want 1 or 2 + the rest of 16")

    end = time.monotonic() + IDLE_MS / 1000 + 3
    closed, data = False, b""
    while time.monotonic() < end and not closed:
        try:
            slow.sendall(b" ")
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        more, closed = read_all(slow, 0.3)
        data += more
    check(closed and b"was not finished within 1500 ms" in data,
          f"a never-ending request line: closed {closed}, got {data[:200]!r}")

    r = serial.read_reply(timeout=5)
    check(r.get("ok") is False and "unfinished request line was dropped" in r.get("error", ""),
          f"serial port's half request after the timeout: {r}")
    time.sleep(IDLE_MS / 1000 + 0.3)  # silence alone on the serial port: nothing happens
    r = serial.request({"cmd": "status", "id": 3})
    check_eq((r.get("ok"), r.get("id")), (True, 3), "status over the serial port afterwards")
    check_eq(vfotest.ctl(path, "status")["ok"], True, "status over the socket afterwards")
    for s in socks + [slow]:
        s.close()
    check_eq(vfo.stop(), 0, "vfailover exit status after SIGTERM")
    os.close(master)


if __name__ == "__main__":
    vfotest.main(test, "ctl_limits")
