# SPDX-License-Identifier: BSD-3-Clause
"""hostnet — the study's host-side network, inside its own network namespace.

    net = HostNet("e2e1234")     # namespace e2e1234, lo up
    net.bridge("brv")            # a bridge, STP off, no forwarding delay
    net.tap("sv", "brv")         # a persistent tap on that bridge, up
    net.veth("pv", "brv", MAC)   # a veth pair: "pv" for the probe, its peer on the bridge
    net.veth_root("pv", "x", "br0", MAC)  # "pv" here, its peer "x" on the machine's br0
    net.run(["qemu-system-x86_64", ...])   # argv prefix to run inside
    net.destroy()                # deletes the namespace and all it holds

Everything lives in the namespace (a veth_root pair has one end in it), so
destroy() removes every tap, bridge and veth the run created and nothing else; migration between the two QEMUs
goes over the namespace's loopback.
"""
import subprocess


class NetError(Exception):
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
        cmd = ["ip"] + (["-n", self.name] if netns else []) + args
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise NetError(f"'{' '.join(cmd)}' failed: {p.stderr.strip()}")

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

    def address(self, dev, cidr):
        """Adds address 'cidr' to interface 'dev'."""
        self._ip(["addr", "add", cidr, "dev", dev])

    def link_down(self, dev):
        """Sets interface 'dev' down."""
        self._ip(["link", "set", "dev", dev, "down"])

    def destroy(self):
        """Deletes the namespace with everything in it (idempotent)."""
        if self.created:
            self._ip(["netns", "del", self.name], netns=False)
            self.created = False
