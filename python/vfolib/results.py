# SPDX-License-Identifier: BSD-3-Clause
"""results — what a benchmark records beside its figures.

    rev = git_rev(root)     # "c8f84dc", "c8f84dc+dirty" or "unknown"
"""
import subprocess


def git_rev(root):
    """The commit checked out at 'root' (short hash, '+dirty' when tracked
    files changed), or "unknown" outside a git checkout."""
    try:
        rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
