"""Turns: the model <-> tools loop, interrupts, and how user input reaches the model."""
