"""``python -m pyrometer``: the same as the ``pyrometer`` command."""

from pyrometer.cli import console_main

if __name__ == "__main__":
    console_main()
