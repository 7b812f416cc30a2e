"""carla-lite: dil's headless world served over CARLA 0.9.16's wire protocol (``dil carla-lite``)."""
