"""The agent: threads, turns, the model client. Never imports pygls or lsprotocol."""
