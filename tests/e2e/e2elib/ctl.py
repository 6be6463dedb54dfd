# SPDX-License-Identifier: BSD-3-Clause
"""ctl — the host end of vfailover's control channel in the guest.

QEMU exposes the guest's virtio-serial port org.vfailover.0 as a UNIX
socket (a chardev server); vfailover --ctl-serial serves its JSON-lines
control protocol (docs/control-protocol.md) on the guest end.  GuestCtl is
vfolib's control client with the channel's defaults: it waits for QEMU's
socket, and call() matches replies by "id".
"""
from vfolib.ctl import Ctl


class GuestCtl(Ctl):
    """A connection to the control channel of one VM."""

    def __init__(self, path, timeout=10):
        """Connects to QEMU's chardev socket 'path', waiting up to 'timeout' s
        for it; replies are waited for up to 10 s by default."""
        super().__init__(path, timeout=10, connect_timeout=timeout)

    def active(self, timeout=5):
        """Returns the active member ("vf", "backup", ...) of the first uplink."""
        return self.call("status", timeout)["uplinks"][0]["active"]
