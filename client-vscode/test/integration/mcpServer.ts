// A real stdio MCP server written with the `mcp` SDK (MCPServer): echo (read-only), steps
// (progress notifications), picture (an image); and the config.toml tables that run it.
import * as fs from "node:fs";
import * as path from "node:path";
import { PYTHON } from "./harness.js";

const SCRIPT = `
import base64
from mcp.server.mcpserver import Context, Image, MCPServer
from mcp_types import ToolAnnotations

server = MCPServer("weather")
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


@server.tool(annotations=ToolAnnotations(read_only_hint=True), structured_output=False)
def echo(text: str) -> str:
    """Repeat the text."""
    return f"echo: {text}"


@server.tool(structured_output=False)
async def steps(count: int, ctx: Context) -> str:
    """Work in steps, reporting progress."""
    for i in range(count):
        await ctx.report_progress(i + 1, count, f"step {i + 1} of {count}")
    return f"did {count} steps"


@server.tool()
def picture() -> Image:
    """A tiny picture."""
    return Image(data=PNG, format="png")


server.run()
`;

/** Write the server's script into `dir`; its path. */
export function writeMcpServer(dir: string): string {
  const script = path.join(dir, "weather_server.py");
  fs.writeFileSync(script, SCRIPT);
  return script;
}

/** `[mcp_servers.weather]` (the SDK server above, run by `script`) and, with `broken`,
 * `[mcp_servers.broken]` (no such program). */
export function mcpTables(script: string, broken = true): string {
  return [
    "[mcp_servers.weather]",
    `command = ${JSON.stringify(PYTHON)}`,
    `args = [${JSON.stringify(script)}]`,
    ...(broken ? ["[mcp_servers.broken]", 'command = "no-such-mcp-server-xyz"'] : []),
    "",
  ].join("\n");
}
