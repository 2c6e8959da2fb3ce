"""Delegation: child agents run under a parent thread's turn (review, summaries)."""
