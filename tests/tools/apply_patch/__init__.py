"""Tests of apply_patch: grammar, matching, hunks, diffs, writing, properties."""
