"""Tests of the model-facing tools."""
