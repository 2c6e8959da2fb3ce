-- Scenario 1, no plugin: a plain vim.lsp.start client drives codex-lsp through the standard
-- LSP features and Neovim's built-in handlers (showMessageRequest -> vim.ui.select,
-- workspace/applyEdit -> vim.lsp.util.apply_workspace_edit).
--
-- Mock script (queued by tests/e2e/test_neovim.py): shell call, apply_patch of notes.txt,
-- final message.
local H = require("harness")

local ws = assert(vim.env.CODEX_TEST_WS, "CODEX_TEST_WS not set")
local notes = ws .. "/notes.txt"

local completed_turns = {}
local items = {}
local apply_results = {}
local prompts = {}

H.step("the plugin is not loaded", function()
  H.ok(vim.g.loaded_codex == nil, "plugin/codex.lua not sourced")
  H.ok(vim.fn.exists(":CodexAsk") == 0, "no :CodexAsk command")
end)

-- Approvals arrive as window/showMessageRequest, which Neovim 0.11 answers with vim.ui.select.
vim.ui.select = function(choices, opts, on_choice)
  table.insert(prompts, opts.prompt or "")
  local want = nil
  if (opts.prompt or ""):find("wants to run", 1, true) then
    want = "Run"
  elseif (opts.prompt or ""):find("wants to change", 1, true) then
    want = "Apply"
  end
  for _, c in ipairs(choices) do
    if c.title == want then
      return on_choice(c)
    end
  end
  on_choice(nil)
end

vim.cmd.edit(vim.fn.fnameescape(notes))
local buf = vim.api.nvim_get_current_buf()

local client_id = vim.lsp.start({
  name = "codex-plain",
  cmd = { "codex-lsp" },
  root_dir = ws,
  handlers = {
    ["codex/turn/completed"] = function(_, params)
      table.insert(completed_turns, params.turn)
    end,
    ["codex/item/completed"] = function(_, params)
      table.insert(items, params.item)
    end,
    ["workspace/applyEdit"] = function(err, params, ctx)
      local result = vim.lsp.handlers["workspace/applyEdit"](err, params, ctx)
      table.insert(apply_results, { params = params, result = result })
      return result
    end,
  },
})
local client = vim.lsp.get_client_by_id(client_id)

H.step("the server starts and attaches", function()
  H.require(client ~= nil, "vim.lsp.start returned a client")
  H.require(H.wait(20000, function()
    return client.initialized
  end, "initialize"), "client initialized")
  H.ok(vim.lsp.buf_is_attached(buf, client_id), "notes.txt attached")
  local exp = client.server_capabilities.experimental or {}
  H.ok(exp.codex and exp.codex.protocolVersion == "2", "experimental.codex.protocolVersion is 2")
end)

local function find_item(kind)
  for _, it in ipairs(items) do
    if it.type == kind then
      return it
    end
  end
end

H.step("a turn through executeCommand (or the custom methods)", function()
  local provider = client.server_capabilities.executeCommandProvider or {}
  local commands = provider.commands or {}
  local has = vim.tbl_contains(commands, "codex.newThread") and vim.tbl_contains(commands, "codex.ask")
  local question = "please run a command and edit notes.txt"
  if has then
    local res = vim.lsp.buf_request_sync(buf, "workspace/executeCommand",
      { command = "codex.newThread", arguments = {} }, 15000)
    local r = res and res[client_id]
    H.ok(r and not r.err, "codex.newThread", r and r.err and vim.inspect(r.err))
    res = vim.lsp.buf_request_sync(buf, "workspace/executeCommand",
      { command = "codex.ask", arguments = { { text = question, uri = vim.uri_from_bufnr(buf) } } }, 15000)
    r = res and res[client_id]
    H.ok(r and not r.err, "codex.ask", r and r.err and vim.inspect(r.err))
  else
    H.note("FALLBACK: the server does not offer codex.newThread/codex.ask through "
      .. "workspace/executeCommand (commands: " .. vim.inspect(commands)
      .. "); using codex/thread/start + codex/turn/start")
    local res = client:request_sync("codex/thread/start", { cwd = ws }, 15000)
    H.ok(res and res.result and res.result.thread, "codex/thread/start", res and vim.inspect(res.err))
    local thread_id = res.result.thread.id
    res = client:request_sync("codex/turn/start",
      { threadId = thread_id, input = { { type = "text", text = question } } }, 15000)
    H.ok(res and res.result and res.result.turn, "codex/turn/start", res and vim.inspect(res.err))
  end
  H.ok(H.wait(60000, function()
    return #completed_turns > 0
  end, "turn/completed"), "the turn completed")
  local turn = completed_turns[1] or {}
  H.eq(turn.status, "completed", "turn status")
end)

H.step("the command was approved through showMessageRequest (Run)", function()
  H.ok(prompts[1] and prompts[1]:find("wants to run", 1, true), "first prompt asks to run",
    vim.inspect(prompts))
  H.ok(prompts[1] and prompts[1]:find("echo hi", 1, true), "the prompt names the command")
  local cmd = find_item("commandExecution")
  H.ok(cmd ~= nil, "commandExecution item completed")
  if cmd then
    H.eq(cmd.status, "completed", "command status")
    H.eq(cmd.exitCode, 0, "command exit code")
    H.contains(cmd.aggregatedOutput or "", "hi", "command output")
  end
  H.eq(H.read_file(ws .. "/ran.txt"), "hi\n", "the command ran in the workspace")
end)

H.step("the patch was approved (Apply) then applied through workspace/applyEdit", function()
  H.ok(prompts[2] and prompts[2]:find("wants to change", 1, true), "second prompt asks to change",
    vim.inspect(prompts))
  H.ok(prompts[2] and prompts[2]:find("notes.txt", 1, true), "the prompt names the file")
  H.eq(#apply_results, 1, "one workspace/applyEdit")
  local a = apply_results[1]
  if a then
    H.eq(a.result.applied, true, "applyEdit applied")
    H.ok(a.params.edit.changeAnnotations == nil
      or vim.tbl_isempty(a.params.edit.changeAnnotations)
      or not a.params.edit.changeAnnotations["codex-change"].needsConfirmation,
      "no confirmation asked inside the edit (already approved)")
  end
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  H.eq(lines[3], "line three", "hunk 1 is in the buffer")
  H.eq(lines[26], "line twenty-six", "hunk 2 is in the buffer")
  local fc = find_item("fileChange")
  H.ok(fc ~= nil, "fileChange item completed")
  if fc then
    H.eq(fc.status, "completed", "fileChange status (the server read the synced buffer)")
  end
end)

H.step("after :write the file on disk has the change", function()
  local disk = H.read_file(notes) or ""
  if disk:find("line three", 1, true) then
    H.note("the server already wrote the approved text to disk")
  end
  -- write! : the server may have written the file meanwhile (same text).
  vim.api.nvim_buf_call(buf, function()
    vim.cmd("silent write!")
  end)
  local text = H.read_file(notes) or ""
  H.contains(text, "line 2\nline three\nline 4\n", "hunk 1 on disk")
  H.contains(text, "line 25\nline twenty-six\nline 27\n", "hunk 2 on disk")
  H.ok(not vim.bo[buf].modified, "buffer not modified after :write")
end)

H.step("a code action asks Codex to fix a diagnostic", function()
  local ns = vim.api.nvim_create_namespace("codex-test")
  local diagnostic = {
    lnum = 4, col = 0, end_lnum = 4, end_col = 6,
    message = "unexpected token near line 5", source = "testlint", severity = vim.diagnostic.severity.ERROR,
  }
  vim.diagnostic.set(ns, buf, { diagnostic })
  local lsp_diag = {
    range = { start = { line = 4, character = 0 }, ["end"] = { line = 4, character = 6 } },
    message = diagnostic.message, source = diagnostic.source, severity = 1,
  }
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = lsp_diag.range,
    context = { diagnostics = { lsp_diag } },
  }
  local res = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, 15000)
  local r = res and res[client_id]
  H.require(r and r.result, "textDocument/codeAction answered", r and vim.inspect(r.err))
  local fix
  for _, action in ipairs(r.result) do
    -- The diagnostic's own fix ("Ask Codex to fix this", for the range, is offered too).
    if action.title == "Ask Codex to fix" then
      fix = action
    end
  end
  H.require(fix ~= nil, "an \"Ask Codex to fix\" action", vim.inspect(r.result))
  local command = fix.command or fix
  local before = #completed_turns
  res = vim.lsp.buf_request_sync(buf, "workspace/executeCommand",
    { command = command.command, arguments = command.arguments }, 15000)
  r = res and res[client_id]
  H.ok(r and not r.err, "the fix command runs", r and r.err and vim.inspect(r.err))
  H.ok(H.wait(60000, function()
    return #completed_turns > before
  end, "turn/completed"), "the fix turn completed")
  local requests = H.mock_requests()
  local last = vim.json.encode(requests[#requests].body)
  H.contains(last, "unexpected token near line 5", "the model got the diagnostic")
end)

H.finish()
