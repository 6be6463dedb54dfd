# SPDX-License-Identifier: BSD-3-Clause
"""scenarios — the study's scenario table: one row per method or baseline.

A row is a Scenario: the guest program that runs in the VM and what the
host does around the migration.  Adding a scenario is adding a row (and,
for a new guest-side method, a program tests/e2e/guest/guest-NAME plus its
ready line in GUESTS); study.py runs every row the same way and measures
it the same way.  Fields (defaults in brackets):

  label      the table's row title
  guest      the guest program (tests/e2e/guest/guest-NAME)
  driver     "qmp": study.py drives two QEMUs itself; "libvirt": vfmigrate
             between two libvirtd (study_libvirt.py)                   [qmp]
  unplug     the VF leaves before the migration and returns after; False:
             the e1000e stays and migrates (only an emulated NIC can)  [True]
  planned    the host warns the guest first (`prepare`)                [False]
  steer      how the host sends to the guest: "follow" (to the backup side
             before the VF goes, back when the guest answers on the VF side,
             make-before-break), "vf" (always the VF side), "learn" (as a
             learning switch: to whichever side the guest's frames last came
             from; nothing moves before the guest does), "hooks" (libvirt:
             vfmigrate's hooks only), "eswitch" (failover mode: the VF side
             while the VM has its VF, as an SR-IOV NIC's embedded switch
             delivers by MAC to the VF that holds it; the backup side
             from the source's unplug to the destination's RESUME) [follow]
  prefer     a member the guest is told to prefer before the migration [None]
  cut        surprise removal: "tap": the VF's host-side tap is set down
             (its traffic blackholed, the guest not told; the emulated link
             stays up) before device_del                               [None]
  pause_ms   no migration: the VM is paused in place this long (QMP stop,
             cont) instead: the pause's cost without the move (QEMU keeps
             its translated code), the control for TCG's cold start [None]
  failover   QEMU's failover mode (qemu_failover.py): the virtio-net is a
             failover=on standby, the e1000e its hidden primary; QEMU
             unplugs it when the migration starts and plugs it in on the
             destination (no device_del / device_add)              [False]
  args       more e2e.KEY=VALUE words for the guest's kernel command line
  rules      the per-run pass rules that apply (study.RULES)           [()]
  quick      in --quick (CI)                                           [False]
  ndr        run again at the highest rate without loss                [False]

Issue 14's rows: Linux net_failover and vfailover in QEMU's failover mode
(failover=True; its backup member, the kernel's standby netdev, through
net_af_packet or net_af_xdp), and Linux bonding tuned for the job.
"""
from dataclasses import dataclass, field

# Per guest program: the console line that says it forwards, and whether
# it serves vfailover's control channel (clock, marks, timeline).
GUESTS = {
    "vfailover": (r"^vfailover: forwarding", True),
    "vf-only": (r"^vfailover: forwarding", True),
    "bonding": (r"^e2e: bonding ready", False),
    "dpdk-failsafe": (r"^e2e: testpmd forwarding", False),
    "dpdk-bonding": (r"^e2e: testpmd forwarding", False),
    "vfailover-standby": (r"^vfailover: forwarding", True),
    "net-failover": (r"^e2e: net_failover ready", False),
}

# The rule sets of the study's rows (study.RULES says what each checks).
VFAILOVER = ("no_loss_outside_pause", "own_segments")
SURPRISE = ("loss_within_cut", "own_segments")


@dataclass(frozen=True)
class Scenario:
    """One row of the study (see the module comment for the fields)."""
    label: str
    guest: str = "vfailover"
    driver: str = "qmp"
    unplug: bool = True
    planned: bool = False
    steer: str = "follow"
    prefer: str = None
    cut: str = None
    pause_ms: int = None
    failover: bool = False
    args: tuple = ()
    rules: tuple = ()
    quick: bool = False
    ndr: bool = False
    full: bool = field(default=True)

    @property
    def ready(self):
        """The guest's "forwarding" console line (regex)."""
        return GUESTS[self.guest][0]

    @property
    def ctl(self):
        """Whether the guest serves vfailover's control channel."""
        return GUESTS[self.guest][1]


# The surprise scenario's path check: an ARP every 10 ms to the host's
# address on both bridges (testbed.HOST_IP), 3 missed = the path is dead.
ARP = ("e2e.arp=198.18.0.1", "e2e.arp_ms=10", "e2e.arp_missed=3")

# Linux bonding tuned for this job: the backup slave delivers what it
# receives (all_slaves_active=1: the host steers to it before the VF goes),
# the bond's MAC follows the active slave (fail_over_mac=active, what a VF
# that may not change its MAC needs; both NICs share the MAC here).
BONDING_BEST = ("e2e.all_slaves_active=1", "e2e.fail_over_mac=active")

SCENARIOS = {
    "migration-only": Scenario(
        "migration only, VF kept (baseline; emulated NIC)", unplug=False, steer="vf"),
    "migration-only-backup": Scenario(
        "migration only, on the virtio backup (baseline of the planned path)", unplug=False,
        prefer="backup", quick=True, ndr=True),
    "vf-only": Scenario("VF only (no fallback)", guest="vf-only", steer="vf", quick=True),
    "bonding": Scenario("Linux bonding (active-backup, kernel forwarding)", guest="bonding",
                        quick=True),
    "vfailover-unplanned": Scenario("vfailover, unplanned", rules=VFAILOVER, quick=True,
                                    ndr=True),
    "vfailover-planned": Scenario("vfailover, planned", planned=True, rules=VFAILOVER,
                                  quick=True, ndr=True),
    "vfailover-surprise": Scenario(
        "vfailover, surprise removal (VF tap cut, then device_del; path check 10 ms x 3)",
        # Back in --quick (CI): its two misses so far were explained and
        # fixed (docs/e2e-study.md: the virtio PMD's announce pause, and the
        # cut window's end).
        steer="learn", cut="tap", args=ARP, rules=SURPRISE, quick=True),
    "vfailover-pause": Scenario(
        "vfailover on its backup, VM paused in place 100 ms (no migration: control)",
        unplug=False, prefer="backup", pause_ms=100, rules=("own_segments",)),
    "vfailover-planned-libvirt": Scenario(
        "vfailover, planned (libvirt + vfmigrate)", driver="libvirt", planned=True,
        rules=VFAILOVER),
    "vfailover-planned-libvirt-hooks": Scenario(
        "vfailover, planned (libvirt + vfmigrate, host steered by its hooks only)",
        driver="libvirt", planned=True, steer="hooks", rules=("no_loss_outside_pause",)),
    "dpdk-failsafe": Scenario("DPDK fail-safe PMD (testpmd)", guest="dpdk-failsafe"),
    "dpdk-failsafe-hotplug": Scenario("DPDK fail-safe PMD (testpmd --hot-plug)",
                                      guest="dpdk-failsafe", args=("e2e.hotplug=1",)),
    "dpdk-bonding": Scenario("DPDK bonding PMD (testpmd, mode 1 active-backup)",
                             guest="dpdk-bonding"),
    "dpdk-bonding-hotplug": Scenario("DPDK bonding PMD (testpmd --hot-plug, mode 1)",
                                     guest="dpdk-bonding", args=("e2e.hotplug=1",)),
    "bonding-best": Scenario(
        "Linux bonding at its best (active-backup, all_slaves_active=1, fail_over_mac=active, "
        "MII 10 ms)", guest="bonding", args=BONDING_BEST),
    "bonding-best-arp": Scenario(
        "Linux bonding, ARP monitor (active-backup, all_slaves_active=1, fail_over_mac=active, "
        "ARP 10 ms)", guest="bonding", args=BONDING_BEST + ("e2e.arp_interval=10",),
        full=False),
    # net_failover takes nothing the standby receives while a primary is
    # registered (RX_HANDLER_EXACT), so a host that steers to the backup
    # side with the primary there, or waits for replies on the VF side
    # first ("follow"), starves it: it is steered as SR-IOV hardware does.
    "net-failover": Scenario(
        "Linux net_failover (QEMU failover mode, kernel forwarding)", guest="net-failover",
        failover=True, steer="eswitch"),
    "vfailover-standby": Scenario(
        "vfailover in QEMU failover mode, unplanned (backup: AF_PACKET)",
        guest="vfailover-standby", failover=True, rules=("no_loss_outside_pause",)),
    "vfailover-standby-xdp": Scenario(
        "vfailover in QEMU failover mode, unplanned (backup: AF_XDP)", guest="vfailover-standby",
        failover=True, args=("e2e.backup_pmd=af_xdp",), rules=("no_loss_outside_pause",)),
    "vfailover-standby-eswitch": Scenario(
        "vfailover in QEMU failover mode, unplanned, steered as net_failover (eswitch)",
        guest="vfailover-standby", failover=True, steer="eswitch",
        rules=("no_loss_outside_pause",)),
    "vfailover-standby-prepare": Scenario(
        "vfailover in QEMU failover mode, prepare when migrating", guest="vfailover-standby",
        failover=True, planned=True, rules=("no_loss_outside_pause",)),
}


def names(quick=False):
    """Returns the scenario names of the quick or the full study, in table order."""
    return [n for n, s in SCENARIOS.items() if (s.quick if quick else s.full)]
