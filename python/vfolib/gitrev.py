# SPDX-License-Identifier: BSD-3-Clause
"""gitrev — which commit a benchmark's or study's figures come from.

    git_rev(root)       # "4f4761c", "4f4761c+dirty", or "unknown" outside git
"""
import subprocess


def git_rev(root):
    """Returns the short commit of the checkout at 'root', with "+dirty"
    when tracked files have uncommitted changes, or "unknown"."""
    try:
        rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
