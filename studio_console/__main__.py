"""Entry point of ``studio-console`` and ``python -m studio_console``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from studio_console.cli import parse_args

    options = parse_args(argv)
    from studio_console.app import run

    return run(options)


if __name__ == "__main__":
    sys.exit(main())
