"""The model client: Responses API and Chat Completions streaming on the `openai` SDK."""
