# SPDX-License-Identifier: BSD-3-Clause
"""plot — matplotlib for the scripts that draw PNGs (Agg, no display).

    plt = load_matplotlib("plot-timeline")   # re-executes under Debian's python3 if needed

Debian packages matplotlib for /usr/bin/python3 (python3-matplotlib,
installed by scripts/setup); a pyenv or venv interpreter usually lacks it,
so the script is run again under /usr/bin/python3 (once: an environment
variable stops a loop) before it gives up with a hint.  Being run again
from the start, a script that does other work first must plot in a
process of its own (tests/e2e/run-guests runs itself with --report).
"""
import os
import sys

SYS_PYTHON = "/usr/bin/python3"
_REEXEC = "VFOLIB_PLOT_REEXEC"


def load_matplotlib(prog):
    """Returns matplotlib.pyplot with the Agg backend; re-executes the
    running script with SYS_PYTHON when this interpreter lacks matplotlib;
    exits 1 naming 'prog' and the package when none has it."""
    try:
        import matplotlib
    except ImportError:
        if (os.path.exists(SYS_PYTHON) and not os.environ.get(_REEXEC)
                and os.path.realpath(sys.executable) != os.path.realpath(SYS_PYTHON)):
            os.environ[_REEXEC] = "1"
            os.execv(SYS_PYTHON, [SYS_PYTHON] + sys.argv)
        sys.exit(f"{prog}: matplotlib is missing; install python3-matplotlib "
                 "(scripts/setup does)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt
