-- :CodexMcp with a real stdio MCP server ("tools": shout, count) and a broken one (its
-- command does not exist), configured by tests/e2e/test_neovim_mcp.py.
--
-- Mock script: 1. a call of mcp__tools__count {upto = 3}, 2. a message ("Counted."),
-- 3. a call of mcp__tools__shout {text = "hi"} (declined), 4. a message ("Declined.").
local H = require("harness")
local api = vim.api

local prompts = {} -- the showMessageRequest prompts (approvals)
local answer = "Run"
vim.ui.select = function(items, opts, on_choice)
  table.insert(prompts, opts.prompt or "")
  for _, it in ipairs(items) do
    if it.title == answer then
      return on_choice(it)
    end
  end
  on_choice(nil)
end
local opened = {}
vim.ui.open = function(url)
  table.insert(opened, url)
end

H.record_notes()
H.record_notifications()

local codex = require("codex")
codex.setup({})
local mcp = require("codex.mcp")

local function startup(name, status)
  for _, p in ipairs(H.received("codex/mcpServer/startupStatus/updated")) do
    if p.name == name and p.status == status then
      return p
    end
  end
end

local function view_text()
  if not (mcp.buf and api.nvim_buf_is_valid(mcp.buf)) then
    return ""
  end
  return H.buf_text(mcp.buf)
end

H.step(":CodexMcp lists the servers", function()
  vim.cmd("CodexMcp")
  H.require(H.wait(60000, function()
    return startup("tools", "ready") ~= nil and startup("broken", "failed") ~= nil
  end, "both servers started"), "startup notifications: tools ready, broken failed")
  -- The view follows the notifications (it reads the list again on ready/failed).
  local shown = H.wait(15000, function()
    local t = view_text()
    return t:find("## tools  · ready", 1, true) ~= nil and t:find("## broken  · failed", 1, true) ~= nil
  end, "the view")
  local text = view_text()
  H.ok(shown, "the view shows tools ready and broken failed", text)
  H.contains(text, "- count — Count up, reporting progress.", "a tool with its description")
  H.contains(text, "- shout (read-only) — Repeat the text in capitals.", "a read-only tool")
  H.contains(text, "tools: 2", "the tool count")
  H.contains(text, "auth: no auth (stdio)", "the auth status")
  local broken = text:match("## broken  · failed\n  error: ([^\n]+)")
  H.ok(broken ~= nil and broken ~= "", "the broken server's error is shown", text)
  H.eq(api.nvim_get_current_buf(), mcp.buf, "the cursor is in the view")
  H.eq(api.nvim_buf_get_name(mcp.buf), "codex://mcp", "the view's buffer name")
  local note = H.noted("MCP server broken failed to start")
  H.ok(note ~= nil and note.level == vim.log.levels.WARN, "a warning names the failed server")
end)

H.step("L on a stdio server: the server refuses, no browser", function()
  local win = api.nvim_get_current_win()
  local row = H.line_of(mcp.buf, "## tools  · ready")
  H.require(row ~= nil, "the tools line")
  api.nvim_win_set_cursor(win, { row, 0 })
  local before = #H.notes
  vim.api.nvim_feedkeys("L", "x", false)
  H.wait(10000, function()
    for i = before + 1, #H.notes do
      if H.notes[i].msg:find("MCP server tools: login refused: ", 1, true) then
        return true
      end
    end
    return false
  end, "the refused login")
  H.ok(H.noted("MCP server tools: login refused: ") ~= nil, "the refused login is reported")
  H.eq(#opened, 0, "no browser opened")
end)

H.step("an MCP call: approval prompt and card", function()
  vim.cmd("wincmd p")
  codex.ask("count to three")
  local turn = H.await_turn(1)
  H.require(turn ~= nil, "the turn completed")
  H.eq(turn.turn and turn.turn.status, "completed", "the turn's status")
  H.eq(#prompts, 1, "one approval prompt")
  local prompt = prompts[1] or ""
  H.contains(prompt, "Codex wants to call the MCP tool tools.count with upto=3", "the prompt names the tool and arguments")
  H.contains(prompt, "Reason: The MCP server 'tools' would run its tool 'count'.", "the prompt gives the reason")
  H.ok(not prompt:find("mcp tools count {", 1, true), "no raw command in the prompt", prompt)
  local progress = H.received("codex/item/mcpToolCall/progress")
  H.eq(#progress, 3, "three progress notifications")
  local text = require("codex.chat").text()
  local card = text:match("(### ⚙ tools%.count  · [^\n]*\n.-\n```\n)")
  H.ok(card ~= nil, "the card is in the chat", text)
  card = card or ""
  H.ok(card:match("^### ⚙ tools%.count  · completed, %d+ ms\n") ~= nil, "the card's status and duration", card)
  H.contains(card, "arguments: upto=3\n", "the card's arguments")
  H.contains(card, "… counted 1 of 3\n… counted 2 of 3\n… counted 3 of 3\n", "the card's progress")
  H.contains(card, "```text\ncounted to 3\n```", "the card shows the result")
  H.contains(text, "Counted.", "the answer after the call")
end)

H.step("a declined call: its card says so", function()
  answer = "Decline"
  codex.ask("shout hi")
  local turn = H.await_turn(2)
  H.require(turn ~= nil, "the second turn completed")
  H.eq(#prompts, 2, "the call was asked about (untrusted)")
  H.contains(prompts[2] or "", 'the MCP tool tools.shout with text="hi"', "the prompt quotes string arguments")
  local text = require("codex.chat").text()
  H.contains(text, '### ⚙ tools.shout  · declined\narguments: text="hi"\n\n', "the declined card, no result")
  H.contains(text, "Declined.", "the answer after the declined call")
end)

H.step(":CodexMcp reload", function()
  local before = #H.received("codex/mcpServer/startupStatus/updated")
  local answered = nil
  mcp.reload(function(result)
    answered = result
  end)
  H.require(H.wait(15000, function()
    return answered ~= nil
  end, "the reload"), "the reload answered")
  local ready = H.wait(60000, function()
    for i = before + 1, #H.received("codex/mcpServer/startupStatus/updated") do
      local p = H.received("codex/mcpServer/startupStatus/updated")[i]
      if p.name == "tools" and p.status == "ready" then
        return true
      end
    end
    return false
  end, "ready again")
  H.ok(ready, "the tools server is ready again after the reload")
  H.ok(H.wait(15000, function()
    return view_text():find("## tools  · ready", 1, true) ~= nil
  end, "the view"), "the view shows it ready", view_text())
end)

H.step(":checkhealth codex lists the servers", function()
  vim.cmd("checkhealth codex")
  local text = table.concat(api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  H.contains(text, "MCP server tools: ready, 2 tool(s), auth unsupported", "the ready server")
  H.contains(text, "MCP server broken: failed, 0 tool(s), auth unsupported", "the failed server")
  H.contains(text, ":CodexMcp reload", "the advice for the failed server")
  vim.cmd("tabclose")
end)

H.step(":help codex-mcp", function()
  local ok, err = pcall(vim.cmd, "help :CodexMcp")
  H.ok(ok, ":help :CodexMcp", err)
  if ok then
    vim.cmd("helpclose")
  end
end)

H.finish()
