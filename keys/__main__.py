"""``python -m keys init DIR``: create missing key material (the app refuses to start without)."""

from __future__ import annotations

import argparse
from pathlib import Path

from keys.keyring import Keyring


def main() -> None:
    """Parse the command line and run it."""
    parser = argparse.ArgumentParser(prog="python -m keys")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create whatever key material is missing")
    init.add_argument("directory", type=Path, nargs="?", default=Path("instance/keys"))
    args = parser.parse_args()
    made = Keyring.initialise(args.directory)
    print(f"{args.directory}: " + (", ".join(made) if made else "key material present"))


if __name__ == "__main__":
    main()
