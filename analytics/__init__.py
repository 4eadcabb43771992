"""Online anomaly detectors per (twin, signal): pure Python, no Django, state that survives restarts."""
