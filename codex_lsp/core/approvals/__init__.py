"""Approvals: when the user must be asked (policy) and how a turn waits for the answer."""
