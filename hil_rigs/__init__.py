"""Motion rigs: motion cueing (washout), Stewart-platform kinematics and limits, the rig server."""
