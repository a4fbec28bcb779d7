"""Entry point of the desktop bundle: PyInstaller runs this file as ``__main__``."""

import sys

from studio_console.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
