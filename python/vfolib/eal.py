# SPDX-License-Identifier: BSD-3-Clause
"""eal — DPDK EAL arguments of the processes tests and scripts start.

    pre = Prefixes("vfot")                        # vfot<PID>x0, vfot<PID>x1, ...
    argv = [vfailover] + eal_args("1", pre.new(), vdevs=[...]) + ["--", ...]

Every process runs --no-pci with a --file-prefix of its own, so that
several can run at once, and --in-memory, so that none leaves hugepage
files behind, unless it must serve DPDK's multi-process tools
(dpdk-dumpcap, dpdk-proc-info: in_memory=False); remove_hugepage_files()
then cleans up after it.
"""
import os

# Where a multi-process primary maps its memory: above the sanitizers'
# shadow regions (ASan's high shadow ends at 0x10007fff7fff on x86-64) and
# far below where the kernel places shared libraries and mmap()s.
SECONDARY_BASE = "0x200000000000"


def base_virtaddr():
    """Returns the --base-virtaddr option of a multi-process primary: none
    in a ThreadSanitizer build (VFO_SANITIZE=thread, set by the meson
    tests), whose application memory is below 0x8000000000, where DPDK
    maps on its own (0x1180000000), not at SECONDARY_BASE."""
    if "thread" in os.environ.get("VFO_SANITIZE", "").split(","):
        return []
    return ["--base-virtaddr", SECONDARY_BASE]


def eal_args(lcores, prefix, vdevs=(), lcore_opt="-l", main_lcore=None, single_file=False,
             log_level="lib.eal:warning", in_memory=True):
    """Returns EAL arguments: 'lcores' given to 'lcore_opt' (-l, or --lcores
    for a map such as 0@0,1@0), --main-lcore when given, --in-memory
    --no-pci (and --single-file-segments: a virtio_user port shares all
    memory with its vhost-user peer, which maps at most 8 regions), the
    --file-prefix, the log level (None: DPDK's default), one --vdev each.
    Without 'in_memory', no --in-memory: hugepage files and the
    multi-process socket, for secondary processes, and a fixed
    --base-virtaddr (SECONDARY_BASE) so that a secondary maps the primary's
    memory where the primary has it: left to chance, the primary's address
    can be taken in the secondary (an ASan primary reserves its shadow first
    and lands elsewhere; dpdk-proc-info then fails "Cannot reserve ...")."""
    a = [lcore_opt, lcores]
    if main_lcore is not None:
        a += ["--main-lcore", str(main_lcore)]
    a += (["--in-memory"] if in_memory else []) + ["--no-pci"]
    a += [] if in_memory else base_virtaddr()
    a += ["--single-file-segments"] if single_file else []
    a += ["--file-prefix", prefix]
    if log_level:
        a += ["--log-level", log_level]
    for v in vdevs:
        a += ["--vdev", v]
    return a


class Prefixes:
    """Unique --file-prefix values of one process: BASE<pid>x<n>."""

    def __init__(self, base):
        self.base = base  # e.g. "vfot"
        self.used = []  # every prefix handed out

    def new(self):
        """Returns a prefix no other process of this machine uses now."""
        p = f"{self.base}{os.getpid()}x{len(self.used)}"
        self.used.append(p)
        return p


def runtime_dir(prefix):
    """Returns the directory DPDK uses for --file-prefix 'prefix'."""
    if os.geteuid() == 0:
        base = "/var/run/dpdk"
    else:
        base = os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")
    return os.path.join(base, prefix)


def remove_hugepage_files(prefix):
    """Removes the hugepage files of --file-prefix 'prefix' from every
    hugetlbfs mount (a process run without --in-memory leaves them)."""
    with open("/proc/mounts") as f:
        mounts = [line.split()[1] for line in f if line.split()[2] == "hugetlbfs"]
    for m in mounts:
        try:
            names = os.listdir(m)
        except OSError:
            continue
        for n in names:
            if n.startswith(f"{prefix}map_"):
                try:
                    os.unlink(os.path.join(m, n))
                except OSError:
                    pass


def hugepages_free():
    """Returns the number of free hugepages (all sizes in /proc/meminfo)."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                return int(line.split()[1])
    return 0
