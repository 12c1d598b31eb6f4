"""The ``guest-orders`` command's entry point (also ``python -m guest_orders``).

``guest-orders --version`` answers on every install; the commands themselves live in
:mod:`guest_orders.cli`, which needs the ``web`` extra. Without it, the command says which
extra to install instead of failing with a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from guest_orders import __version__

__all__ = ["main"]

#: What ``--version`` prints, here and in :mod:`guest_orders.cli`.
VERSION_LINE = f"guest-orders {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from guest_orders import cli  # noqa: PLC0415 - needs an extra the core may lack
    except ImportError as error:
        if args and args[0] in {"--version", "-V"}:
            sys.stdout.write(VERSION_LINE + "\n")
            return 0
        sys.stderr.write(f"guest-orders: error: {error}\n")
        return 2
    return cli.main(args)


if __name__ == "__main__":  # pragma: no cover - exercised through the command
    sys.exit(main())
