"""The ego vehicle as loop nodes: the vehicle node (dynamics at 1 kHz, ``vehicle/state`` out), the
watch on who is in control, and scripted driver inputs. Used by every mode (run, drive, replay,
evaluation); imports nothing above the bus, the clock and the vehicle models."""
