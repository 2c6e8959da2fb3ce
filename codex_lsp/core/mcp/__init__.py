"""The MCP client: the user's MCP servers (stdio and streamable HTTP, OAuth) as tools.

`manager.McpManager` owns the servers; `connection.McpConnection` is one server (its
state and tools), `client` the part built on the official `mcp` SDK (imported only when a
server is configured), `tools.McpTool` a tool as the model sees it, `oauth` the login
and token refresh, `oauth_store` where tokens are kept.
"""
