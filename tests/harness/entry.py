"""The app's shell started from outside the repository root, for AppTest (see ui/shell.py)."""

from ui.shell import main

main()
