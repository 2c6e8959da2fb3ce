"""The model client: Responses API and Chat Completions streaming over aiohttp."""
