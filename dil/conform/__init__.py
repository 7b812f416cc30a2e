"""``dil conform``: run a corpus of OpenSCENARIO files with dil (and, for development, with esmini),
compare the trajectories per entity and count the standard's elements the corpus uses."""
