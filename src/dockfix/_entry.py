"""The console-script entry point (``dockfix = "dockfix._entry:main"``).

As little as possible runs before an interrupt is handled: the command
line module is imported inside the ``try``, so a Ctrl-C while Python loads
it is one line and exit 130, never a traceback (``dockfix.cli.main`` then
installs its own handlers for the rest of the run).
"""

import sys


def main() -> None:
    try:
        from .cli import main as cli_main
    except KeyboardInterrupt:
        if sys.stderr is not None:
            sys.stderr.write("dockfix: interrupted\n")
        raise SystemExit(130) from None
    cli_main()
