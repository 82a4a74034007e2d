"""The "Sum or mean?" lesson: its parameters and presets (``params``), cached computations
(``compute``) and words (``text``)."""
