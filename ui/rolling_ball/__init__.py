"""The rolling-ball lesson: its parameters and presets (``params``)."""
