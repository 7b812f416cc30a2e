"""Algebraic outputs every model appends after its state derivative in ``f(x, u, p, out)``.

``out[n_states + A_*]``; all in the vehicle frame (ISO 8855: x forward, y left, z up).
"""

A_AX = 0
"""Longitudinal acceleration of the centre of gravity [m/s^2] (kinematic model: rear axle)."""
A_AY = 1
"""Lateral acceleration [m/s^2]."""
A_SPEED = 2
"""Speed over ground [m/s], signed by the direction of travel along the vehicle x axis."""
A_SHAFT_SPEED = 3
"""Engine or motor speed [rad/s]."""
A_SHAFT_TORQUE = 4
"""Engine or motor torque [N m]."""
A_STEERING_TORQUE = 5
"""Aligning torque felt at the steering wheel [N m], positive turns the wheel left."""
N_OUTPUTS = 6

OUTPUT_NAMES = ("ax", "ay", "speed", "shaft_speed", "shaft_torque", "steering_torque")
