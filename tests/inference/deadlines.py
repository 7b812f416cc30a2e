"""The AI deadline of the runs in the tests that are not about deadlines."""

PATIENT_MS = 30_000.0
"""[ms]: a batch run waits for each answer, and a node starved on a loaded machine may take seconds."""
