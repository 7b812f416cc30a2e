"""ASAM OSI: GroundTruth out of any run, OSI traces of other tools in (docs/osi.md)."""
