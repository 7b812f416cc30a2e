"""Replay of recorded runs above the run layer: re-simulation, OSI trace import and scoring, and the
HTML report of a run. Low-level log reading, writing and playback live in :mod:`dil.recording`."""
