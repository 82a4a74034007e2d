"""The optimizer-race lesson: its parameters and presets (``params``)."""
