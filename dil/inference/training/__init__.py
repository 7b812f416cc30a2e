"""The shipped lane-keeping model: behaviour cloning of the built-in stack (``dil node train``).

The built-in stack (pure pursuit on the lane centre line, IDM cruise) drives the embedded world on
the shipped road networks while dil's own camera renders what a camera model would see. Each
camera frame is stored, cropped and resized as the manifest says, with the ego speed and the
built-in stack's command for that moment as the label. The driven command is the built-in one
plus steering noise (a slow random drift and short pushes), so the car wanders off the lane
centre while the label stays the stack's *correction*: the model sees how to come back, which a
clean drive never shows. Then the trained model itself drives with the built-in stack still
labelling (DAgger), which adds the states the model's own mistakes lead to.

The model is a small CNN (about 0.2 M parameters) trained with PyTorch on the CPU and exported
to ONNX with a dynamic batch dimension, with its manifest (``lane_keeper.yaml``) beside it. It
keeps the lane and the cruise speed the scenarios set by default (70 km/h): it does not know
the cruise speed a scenario asks for, only the one it was taught.

The closed-loop evaluation drives the catalog's lane-keeping scenario with the model in the
loop (onnxruntime in this process) and reports the lateral offset from the lane centre, lane
invasions, road departures and the distance covered.

Everything runs on the simulated clock from fixed seeds, so two runs give the same data and,
with PyTorch's deterministic algorithms, the same model.

The camera sits on the road surface under the ego (its height above the road is the mount's),
which the vehicle models' own ``z`` (0 for the planar models) does not give on a sloped road.
"""
