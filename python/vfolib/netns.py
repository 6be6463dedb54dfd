# SPDX-License-Identifier: BSD-3-Clause
"""netns — network namespaces and kernel interfaces for tests and benchmarks.

    net = HostNet("e2e1234")     # namespace e2e1234, lo up
    net.bridge("brv")            # a bridge, STP off, no forwarding delay
    net.tap("sv", "brv")         # a persistent tap on that bridge, up
    net.veth("pv", "brv", MAC)   # a veth pair: "pv" for the probe, its peer on the bridge
    net.veth_root("pv", "x", "br0", MAC)  # "pv" here, its peer "x" on the machine's br0
    net.veth_out("far", "near")  # "far" here, "near" in the machine's namespace, IPv6 off
    net.ip("addr", "add", "198.18.5.1/24", "dev", "far")
    net.run(["qemu-system-x86_64", ...])   # argv prefix to run inside
    net.destroy()                # deletes the namespace and all it holds

Everything lives in the namespace (a veth_root or veth_out pair has one
end in it), so destroy() removes every tap, bridge and veth the run created
and nothing else; the end-to-end study's migration between two QEMUs goes
over the namespace's loopback.

In the machine's own namespace: tap_add() / link_del() (persistent taps a
DPDK net_tap port attaches to), set_link() (administrative up/down by
ioctl, no fork in a timed span), kernel_rx() (what the kernel received on
an interface), no_ipv6().
"""
import fcntl
import os
import socket
import struct
import subprocess

from .checks import Failure

IPV6_CONF = "/proc/sys/net/ipv6/conf"


class NetError(Failure):
    """An ip(8) command failed."""


class HostNet:
    """A network namespace holding the study's bridges, taps and veths."""

    def __init__(self, name):
        """Creates namespace 'name' (which must not exist) with lo up."""
        self.name = name  # namespace name
        self.created = False  # whether destroy() has something to delete
        self._ip(["netns", "add", name], netns=False)
        self.created = True
        self._ip(["link", "set", "lo", "up"])

    def _ip(self, args, netns=True):
        """Runs ip(8) with 'args' (inside the namespace unless netns=False);
        raises NetError with its message on failure."""
        ip(*args, netns=self.name if netns else None)

    def ip(self, *args):
        """Runs 'ip ARGS' inside the namespace (NetError on failure)."""
        ip(*args, netns=self.name)

    def run(self, argv):
        """Returns argv prefixed to run inside the namespace."""
        return ["ip", "netns", "exec", self.name] + argv

    def bridge(self, name):
        """Creates bridge 'name', up, STP off, no forwarding delay."""
        self._ip(["link", "add", name, "type", "bridge", "stp_state", "0",
                  "forward_delay", "0"])
        self._ip(["link", "set", name, "up"])

    def tap(self, name, bridge):
        """Creates persistent tap 'name' on 'bridge', up (QEMU opens it)."""
        self._ip(["tuntap", "add", "dev", name, "mode", "tap"])
        self._ip(["link", "set", name, "master", bridge, "up"])

    def veth(self, name, bridge, mac):
        """Creates veth pair 'name' (with address 'mac') / 'name'b, the latter
        on 'bridge'; both up."""
        self._ip(["link", "add", name, "address", mac, "type", "veth", "peer", "name",
                  name + "b"])
        self._ip(["link", "set", name + "b", "master", bridge, "up"])
        self._ip(["link", "set", name, "up"])

    def veth_root(self, name, peer, bridge, mac):
        """Creates veth pair 'name' (with address 'mac', in the namespace) /
        'peer' (in the machine's own namespace, on its 'bridge'); both up.
        Deleting the namespace deletes both."""
        self._ip(["link", "add", name, "address", mac, "type", "veth", "peer", "name", peer,
                  "netns", "1"])
        self._ip(["link", "set", peer, "master", bridge, "up"], netns=False)
        self._ip(["link", "set", name, "up"])

    def veth_out(self, inside, outside):
        """Creates veth pair 'outside' (in the machine's namespace) / 'inside'
        (in this one), both up and with IPv6 off: the kernel then sends
        nothing on them but what is asked of it (ARP replies)."""
        ip("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", self.name)
        no_ipv6(outside)
        subprocess.run(self.run(["sh", "-c", f"[ ! -d {IPV6_CONF} ] || "
                                 f"echo 1 > {IPV6_CONF}/{inside}/disable_ipv6"]), check=True)
        ip("link", "set", outside, "up")
        self._ip(["link", "set", inside, "up"])

    def destroy(self):
        """Deletes the namespace with everything in it (idempotent)."""
        if self.created:
            self._ip(["netns", "del", self.name], netns=False)
            self.created = False


def ip(*args, netns=None):
    """Runs 'ip ARGS' (in namespace 'netns' when given); raises NetError
    with its message on failure."""
    cmd = ["ip"] + (["-n", netns] if netns else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise NetError(f"'{' '.join(cmd)}' failed: {p.stderr.strip()}")


def no_ipv6(iface):
    """Turns IPv6 off on 'iface' (nothing to do on a kernel without IPv6)."""
    if os.path.isdir(IPV6_CONF):
        with open(f"{IPV6_CONF}/{iface}/disable_ipv6", "w") as f:
            f.write("1")


def tap_add(name, multi_queue=True):
    """Creates persistent tap 'name' with IPv6 off (the kernel then sends
    nothing on it, so packet counts stay exact), administratively up (a
    DPDK net_tap port attaches to it; 22.11's bond does not bring its
    members up)."""
    ip("tuntap", "add", "dev", name, "mode", "tap", *(["multi_queue"] if multi_queue else []))
    no_ipv6(name)
    ip("link", "set", name, "up")


def link_del(name):
    """Deletes interface 'name' quietly (it may be gone already)."""
    subprocess.run(["ip", "link", "del", name], stderr=subprocess.DEVNULL)


def set_link(iface, up):
    """Sets interface 'iface' administratively up or down with
    SIOCGIFFLAGS / SIOCSIFFLAGS from this process (no 'ip' fork in a timed
    span)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sk:
        name = iface.encode()
        flags = struct.unpack("16sH", fcntl.ioctl(sk, 0x8913, struct.pack("16sH", name, 0))
                              [:18])[1]
        flags = flags | 1 if up else flags & ~1  # IFF_UP
        fcntl.ioctl(sk, 0x8914, struct.pack("16sH", name, flags))


def kernel_rx(iface):
    """Packets the kernel counts as received on 'iface' (for a tap: what the
    DPDK net_tap port on it transmitted)."""
    with open(f"/sys/class/net/{iface}/statistics/rx_packets") as f:
        return int(f.read())
