"""The app's shell started from outside the repository root, for AppTest (see ui/shell.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from ui.shell import main

main()
