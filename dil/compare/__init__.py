"""``dil compare A B``: per-entity differences between two traces of the same scenario."""
