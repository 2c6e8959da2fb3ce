"""Model-facing tools: the registry the turn loop asks for specs and dispatches calls to."""
