"""The files the agent sees (open editor buffers first, then disk) and how changes land."""
