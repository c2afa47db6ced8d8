"""Lookalike: the desktop app with no arguments, the command line otherwise."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-") and args[0] not in ("-h", "--help"):
        from gui.app import run

        return run(args)
    from core.cli import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
