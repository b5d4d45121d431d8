"""The Textual front end.

Frames: Textual composes at most ``TEXTUAL_FPS`` frames a second (60 by default) on a fixed grid, so a
key pressed just after a frame waits up to a whole period (16.7 ms) before its effect is drawn. ktui
draws only what changed (rows, the cursor), so it asks for up to 120: a keystroke's frame comes
~8 ms sooner on average (filter keystroke -> frame p50 37 -> 22 ms at 10k pods), while frames during a
watch storm stay bound by the 30 Hz snapshot rate. It must be set before Textual is imported (Textual
reads it once); a value the user exported wins.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")
