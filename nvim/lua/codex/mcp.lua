-- :CodexMcp: the MCP servers codex-lsp runs for you (`[mcp_servers]` in config.toml), their
-- status, auth and tools, from `codex/mcpServerStatus/list`; reload, OAuth login.
local util = require("codex.util")

local api = vim.api
local nonnull, notify = util.nonnull, util.notify
local M = {}

M.servers = {} ---@type table[]  the McpServerStatus list last read (in the server's order)
M.startup = {} ---@type table<string, {status: string, error: string|nil}>  by startupStatus/updated
M.buf = nil ---@type integer|nil
local MAX_PAGES = 20
local BUF_NAME = "codex://mcp"

local function codex()
  return require("codex")
end

--- Every server's status (following `nextCursor`): `cb(servers)`, or `cb(nil, err)`.
function M.list(cb)
  codex().with_client(function(client)
    util.list_all(client, "codex/mcpServerStatus/list", MAX_PAGES, function(all, err)
      if all then
        M.servers = all
      end
      cb(all, err)
    end)
  end)
end

--- The runtime status of a server ("ready", "failed: <error>", ...), the freshest of the
--- list and the startup notifications.
function M.status_of(s)
  local rt = type(s.runtimeStatus) == "table" and s.runtimeStatus or {}
  local status, err = rt.status or "?", nonnull(rt.error)
  local seen = M.startup[s.name]
  if seen and seen.newer then
    status, err = seen.status, seen.error
  end
  return status, err
end

local function one_line(text)
  return (tostring(text or ""):gsub("%s*\n%s*", " "))
end

local AUTH = {
  unsupported = "no auth (stdio)",
  notLoggedIn = "not logged in (OAuth): press L to log in",
  bearerToken = "bearer token",
  oAuth = "logged in (OAuth)",
}

--- The lines of the view, and the server named on each line (`names[lnum]`).
function M.render(servers)
  local lines = {
    "# Codex MCP servers",
    "_R reload · L log in (server under the cursor) · <CR> refresh · q close · g? keys_",
    "",
  }
  local names = {}
  if #servers == 0 then
    table.insert(lines, "No MCP servers configured (add [mcp_servers.<name>] to $CODEX_HOME/config.toml).")
  end
  for _, s in ipairs(servers) do
    local status, err = M.status_of(s)
    local tools = type(s.tools) == "table" and s.tools or {}
    local tool_names = vim.tbl_keys(tools)
    table.sort(tool_names)
    local function add(line)
      table.insert(lines, line)
      names[#lines] = s.name
    end
    add(string.format("## %s  · %s", s.name, status))
    if err then
      add("  error: " .. one_line(err))
    end
    add("  auth: " .. (AUTH[s.authStatus] or tostring(s.authStatus)))
    local resources = type(s.resources) == "table" and #s.resources or 0
    add(string.format("  tools: %d%s", #tool_names, resources > 0 and string.format(" · resources: %d", resources) or ""))
    for _, name in ipairs(tool_names) do
      local t = tools[name]
      local about = type(t) == "table" and nonnull(t.description) or nil
      local ro = type(t) == "table" and type(t.annotations) == "table" and t.annotations.readOnlyHint == true
      local text = "  - " .. name .. (ro and " (read-only)" or "")
      if type(about) == "string" and about ~= "" then
        text = text .. " — " .. one_line(about)
      end
      add(text)
    end
    table.insert(lines, "")
  end
  return lines, names
end

local function server_at_cursor()
  return util.at_cursor(M.buf, "codex_mcp_names")
end

--- Write `servers` into the view's buffer (if it exists).
function M.draw(servers)
  local lines, names = M.render(servers or M.servers)
  util.set_view_lines(M.buf, lines, { codex_mcp_names = util.keyed_by_line(names) })
end

--- Read the list again and redraw; `cb(servers)` after.
function M.refresh(cb)
  M.list(function(servers)
    if servers then
      for _, s in ipairs(servers) do
        if M.startup[s.name] then
          M.startup[s.name].newer = false
        end
      end
      M.draw(servers)
    end
    if cb then
      cb(servers)
    end
  end)
end

-- :CodexMcp: M.open(cb) shows the view (a split below) and fills it; M.close().
util.make_view(M, BUF_NAME, {
  height = 8,
  placeholder = { "# Codex MCP servers", "", "Listing…" },
  help = "MCP view: R reload · L log in (OAuth) · <CR> refresh · q close",
  maps = {
    { "R", function()
      M.reload()
    end, "reload the MCP servers" },
    { "L", function()
      local name = server_at_cursor()
      if name then
        M.login(name)
      else
        notify("put the cursor on a server to log in", vim.log.levels.WARN)
      end
    end, "log in to the server under the cursor (OAuth)" },
  },
})

--- Restart the servers (`codex/config/mcpServer/reload`, which reads config.toml again);
--- the view follows their startup notifications. `cb()` once the server answered.
function M.reload(cb)
  codex().with_client(function(client)
    codex().request(client, "codex/config/mcpServer/reload", vim.empty_dict(), function(result)
      if result then
        notify("MCP servers reloading")
        M.refresh()
      end
      if cb then
        cb(result)
      end
    end)
  end)
end

--- OAuth login to server `name`: the browser opens the authorization URL (vim.ui.open);
--- `codex/mcpServer/oauthLogin/completed` then says how it went. `cb(url)`.
function M.login(name, cb)
  codex().with_client(function(client)
    codex().request(client, "codex/mcpServer/oauth/login", { name = name }, function(result)
      local url = result and nonnull(result.authorizationUrl)
      if url then
        notify(string.format("MCP server %s: log in in your browser: %s", name, url))
        local ok, err = pcall(vim.ui.open, url)
        if not ok then
          notify("could not open the browser: " .. tostring(err), vim.log.levels.WARN)
        end
      end
      if cb then
        cb(url)
      end
    end, nil, function(err)
      notify(string.format("MCP server %s: login refused: %s", name, tostring(err.message or vim.inspect(err))), vim.log.levels.WARN)
      if cb then
        cb(nil, err)
      end
      return true
    end)
  end)
end

--- :CodexMcp [reload | login <name>]
function M.command(args)
  local words = vim.split(vim.trim(args or ""), "%s+", { trimempty = true })
  local sub = words[1]
  if sub == nil then
    return M.open()
  elseif sub == "reload" then
    return M.reload()
  elseif sub == "login" and words[2] then
    return M.login(words[2])
  end
  notify("usage: :CodexMcp [reload | login <server>]", vim.log.levels.WARN)
end

function M.complete(arglead, cmdline)
  local words = vim.split(cmdline, "%s+", { trimempty = true })
  local candidates
  if #words >= 2 and words[2] == "login" and (#words > 2 or cmdline:match("%s$")) then
    candidates = {}
    for _, s in ipairs(M.servers) do
      table.insert(candidates, s.name)
    end
  else
    candidates = { "reload", "login" }
  end
  return vim.tbl_filter(function(c)
    return vim.startswith(c, arglead)
  end, candidates)
end

-- ---------------------------------------------------------------------------------------
-- Notifications

--- `codex/mcpServer/startupStatus/updated`: a failed server is announced; the view follows.
function M.on_startup(params)
  local err = nonnull(params.error)
  M.startup[params.name] = { status = params.status, error = err, newer = true }
  if params.status == "failed" then
    notify(
      string.format("MCP server %s failed to start%s (:CodexMcp)", params.name, err and (": " .. one_line(err)) or ""),
      vim.log.levels.WARN
    )
  end
  if M.buf and api.nvim_buf_is_valid(M.buf) and util.buf_win(M.buf) then
    -- Tools arrive with `ready`: read the list again.
    if params.status == "ready" or params.status == "failed" then
      M.refresh()
    else
      M.draw()
    end
  end
end

--- `codex/mcpServer/oauthLogin/completed`
function M.on_login(params)
  if params.success then
    notify("MCP server " .. tostring(params.name) .. ": logged in")
  else
    notify(
      string.format("MCP server %s: login failed: %s", tostring(params.name), tostring(nonnull(params.error) or "unknown error")),
      vim.log.levels.ERROR
    )
  end
  if M.buf and api.nvim_buf_is_valid(M.buf) and util.buf_win(M.buf) then
    M.refresh()
  end
end

-- ---------------------------------------------------------------------------------------
-- The approval prompt of an MCP call

--- The server asks about an MCP call as a command `mcp <server> <tool> <arguments JSON>`
--- (window/showMessageRequest): the prompt then names the tool and its arguments instead.
function M.approval_message(message)
  if type(message) ~= "string" then
    return message
  end
  local first, rest = message:match("^([^\n]*)\n?(.*)$")
  local server, tool, json = first:match("^Codex wants to run: mcp (%S+) (%S+) (.*)$")
  if not server then
    return message
  end
  local ok, args = pcall(vim.json.decode, json)
  local summary = ok and M.arguments_summary(args) or json
  local lines = { string.format("Codex wants to call the MCP tool %s.%s%s", server, tool,
    summary ~= "" and (" with " .. summary) or " (no arguments)") }
  for _, l in ipairs(vim.split(rest, "\n", { plain = true })) do
    -- The thread's directory says nothing about a tool call.
    if l ~= "" and not l:match("^in ") then
      table.insert(lines, l)
    end
  end
  return table.concat(lines, "\n")
end

--- `{text = "hi", n = 2}` -> `n=2, text="hi"` (one line, long values cut).
function M.arguments_summary(args, max)
  max = max or 120
  if type(args) ~= "table" then
    return args == nil and "" or one_line(vim.json.encode(args))
  end
  local parts = {}
  local names = vim.tbl_keys(args)
  table.sort(names, function(a, b)
    return tostring(a) < tostring(b)
  end)
  for _, k in ipairs(names) do
    local v = args[k]
    local text = type(v) == "string" and string.format("%q", v) or vim.json.encode(v)
    table.insert(parts, tostring(k) .. "=" .. one_line(text))
  end
  local text = table.concat(parts, ", ")
  if #text > max then
    text = vim.fn.strcharpart(text, 0, max - 1) .. "…"
  end
  return text
end

-- ---------------------------------------------------------------------------------------
-- :checkhealth

--- Report each server's status in :checkhealth (asks the running client, 5 s at most).
function M.health(client)
  local health = vim.health
  local caps = client.server_capabilities or {}
  local codex_caps = type(caps.experimental) == "table" and caps.experimental.codex or nil
  local methods = codex_caps and type(codex_caps.methods) == "table" and codex_caps.methods or {}
  if not vim.tbl_contains(methods, "codex/mcpServerStatus/list") then
    health.info("MCP: this server does not serve codex/mcpServerStatus/list (:CodexMcp fails)")
    return
  end
  local params = { limit = 100 }
  local reply
  if vim.fn.has("nvim-0.11") == 1 then
    reply = client:request_sync("codex/mcpServerStatus/list", params, 5000)
  else
    reply = client.request_sync("codex/mcpServerStatus/list", params, 5000)
  end
  if not reply or reply.err or not reply.result then
    health.warn("MCP: the server did not list its MCP servers: " .. tostring(reply and reply.err and reply.err.message or "timeout"))
    return
  end
  local servers = reply.result.data or {}
  if #servers == 0 then
    health.info("MCP: no servers configured ([mcp_servers] in $CODEX_HOME/config.toml)")
  end
  for _, s in ipairs(servers) do
    local status, err = M.status_of(s)
    local tools = type(s.tools) == "table" and #vim.tbl_keys(s.tools) or 0
    local text = string.format("MCP server %s: %s, %d tool(s), auth %s", s.name, status, tools, tostring(s.authStatus))
    if status == "ready" then
      health.ok(text)
    elseif status == "failed" then
      health.warn(text .. (err and (": " .. one_line(err)) or ""), { "check [mcp_servers." .. s.name .. "] in config.toml, then :CodexMcp reload" })
    elseif s.authStatus == "notLoggedIn" then
      health.warn(text, { ":CodexMcp login " .. s.name })
    else
      health.info(text .. (err and (": " .. one_line(err)) or ""))
    end
  end
end

return M
