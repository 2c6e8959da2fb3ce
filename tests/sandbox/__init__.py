"""Tests of the sandbox: plans, backends, spawning real processes, bounded text."""
