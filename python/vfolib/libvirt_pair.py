# SPDX-License-Identifier: BSD-3-Clause
"""libvirt_pair — two libvirt daemons on this machine (scripts/libvirt-pair), the
end-to-end guest as their domain, and vfmigrate's command line.

    with Pair(DIR) as pair:                 # libvirt-pair start DIR ... stop DIR
        write domain_xml(guest, work, "a", "vm1", MAC) to vm1.xml
        virsh(pair.uris["a"], "create", "vm1.xml")
        dest = dest_xml(pair.uris, work, "a", "b", ["vm1"])
        subprocess.run(vfmigrate_argv(build, pair.uris, "a", "b", dest, "r.json", HOOK, ["vm1"]))

Shared by scripts/bench-vfmigrate (the orchestrator's own checks) and the
study's libvirt driver (tests/e2e/e2elib/study_libvirt.py).  The domain's VF stand-in
(an e1000e on a PCIe root port, alias ua-vf) is on libvirt network vfm-vf
(bridge VF_BRIDGE), its virtio backup on vfm-back (BACKUP_BRIDGE); its
channel and serial console are files WORK/NAME.HOST.chan / .serial.
"""
import os
import re
import subprocess
import uuid

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAIR = os.path.join(SRC, "scripts", "libvirt-pair")
VF_BRIDGE = "vfmbr-vf"  # libvirt-pair's bridge of network vfm-vf
BACKUP_BRIDGE = "vfmbr-bk"  # ... and of vfm-back


class PairError(Exception):
    """A libvirt-pair or virsh command failed."""


def run(cmd):
    """Runs cmd; returns its stdout; raises PairError naming the command and
    its error output when it fails."""
    r = subprocess.run(cmd, text=True, capture_output=True)
    if r.returncode != 0:
        raise PairError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def virsh(uri, *args):
    """Runs virsh -c uri args; returns its stdout (PairError on failure)."""
    return run(["virsh", "-c", uri, *args])


class Pair:
    """Hosts a and b: scripts/libvirt-pair's daemons with state under 'path'."""

    def __init__(self, path):
        """Nothing starts before start() (or the with-block)."""
        self.path = path  # libvirt-pair's state directory
        self.uris = None  # {"a": URI, "b": URI} once started

    def start(self):
        """Starts both daemons and their networks; returns the URIs.  On
        failure stops what started and raises PairError."""
        try:
            out = run([PAIR, "start", self.path])
        except PairError:
            self.stop()
            raise
        env = dict(re.findall(r"^(\w+)='?([^'\n]*)'?$", out, flags=re.M))
        self.uris = {"a": env["VFM_URI_A"], "b": env["VFM_URI_B"]}
        return self.uris

    def stop(self):
        """Destroys the domains, stops both daemons, removes the bridges
        (idempotent; the state directory is left)."""
        subprocess.run([PAIR, "stop", self.path], capture_output=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


# QEMU's failover mode for the VF stand-in: libvirt's <teaming
# type='transient'> is for hostdev interfaces only, so QEMU's own
# properties are set on the e1000e (its primary needs no option ROM).
FAILOVER_OVERRIDE = """
  <qemu:override>
    <qemu:device alias='ua-vf'>
      <qemu:frontend>
        <qemu:property name='failover_pair_id' type='string' value='ua-backup'/>
        <qemu:property name='romfile' type='string' value=''/>
      </qemu:frontend>
    </qemu:device>
  </qemu:override>"""


def domain_xml(guest, work, host, name, mac, args=("e2e.guest=vfailover",), qemu_args=(),
               teaming=False):
    """Returns the definition of guest 'name' on 'host' (a or b): TCG q35,
    1 vCPU, 1 GiB, kernel and initrd from directory 'guest', 'args' (e2e.*
    words) on its kernel command line, 'qemu_args' added to QEMU's (libvirt's
    <qemu:commandline>, which migrates with the domain); with 'teaming', in
    QEMU's failover mode: the virtio backup <teaming type='persistent'/>,
    the VF stand-in its failover primary (FAILOVER_OVERRIDE)."""
    extra = "".join(f"\n    <qemu:arg value='{a}'/>" for a in qemu_args)
    extra = f"\n  <qemu:commandline>{extra}\n  </qemu:commandline>" if extra else ""
    if teaming:
        extra += FAILOVER_OVERRIDE
    team = "\n      <teaming type='persistent'/>" if teaming else ""
    return f"""<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{name}</name>
  <uuid>{uuid.uuid4()}</uuid>
  <memory unit='MiB'>1024</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>{guest}/vmlinuz</kernel>
    <initrd>{guest}/initrd</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 intel_iommu=on iommu=pt e2e.mac={mac} {' '.join(args)}</cmdline>
  </os>
  <features><acpi/><ioapic driver='qemu'/></features>
  <cpu mode='maximum'/>
  <on_reboot>destroy</on_reboot>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>
    </controller>
    <controller type='virtio-serial' index='0'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>
    </controller>
    <interface type='network'>
      <mac address='{mac}'/>
      <source network='vfm-back'/>
      <model type='virtio'/>{team}
      <alias name='ua-backup'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>
    </interface>
    <interface type='network'>
      <mac address='{mac}'/>
      <source network='vfm-vf'/>
      <model type='e1000e'/>
      <alias name='ua-vf'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </interface>
    <channel type='unix'>
      <source mode='bind' path='{work}/{name}.{host}.chan'/>
      <target type='virtio' name='org.vfailover.0'/>
    </channel>
    <serial type='file'>
      <source path='{work}/{name}.{host}.serial' append='on'/>
    </serial>
    <iommu model='intel'><driver intremap='on'/></iommu>
    <memballoon model='none'/>
  </devices>{extra}
</domain>
"""


def dest_xml(uris, work, src, dst, names, bad_uuid=False):
    """Writes the destination definitions for a migration src -> dst of
    the domains 'names' into a directory (vfmigrate --xml DIR): the live
    migratable XML without the VF (it is detached first), with dst's
    channel and serial paths; with bad_uuid another UUID (libvirt then
    refuses).  Returns the directory."""
    out = f"{work}/dest-{dst}"
    os.makedirs(out, exist_ok=True)
    for name in names:
        live = virsh(uris[src], "dumpxml", "--migratable", name)
        live = re.sub(r"\s*<interface type='network'>(?:(?!</interface>).)*"
                      r"<alias name='ua-vf'/>.*?</interface>", "", live, flags=re.S)
        live = live.replace(f"{work}/{name}.{src}.", f"{work}/{name}.{dst}.")
        if bad_uuid:
            live = re.sub(r"<uuid>[^<]*</uuid>", f"<uuid>{uuid.uuid4()}</uuid>", live)
        with open(f"{out}/{name}.xml", "w") as f:
            f.write(live)
    return out


def vfmigrate_argv(build, uris, src, dst, dest, report, hook, names, extra=()):
    """Returns the vfmigrate command that live-migrates (p2p) the domains
    'names' from host src to host dst with destination definitions 'dest'
    (dest_xml), the VF alias ua-vf, 'hook' as both steering hooks, the JSON
    report to 'report', the guest given 20 s per answer, all in parallel;
    'extra' options go before the names."""
    return [f"{build}/vfmigrate", "--src", uris[src], "--dst", uris[dst],
            "--vf", "ua-vf", "--live", "--p2p", "--xml", dest, "--json", report,
            "--steer-backup", hook, "--steer-vf", hook, "--guest-timeout", "20000",
            "--parallel", str(len(names)), *extra, *names]
