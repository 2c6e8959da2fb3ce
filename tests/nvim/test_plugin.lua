-- Scenario 2, with the plugin: chat streaming, command approval, per-hunk review in diff
-- mode, undo, selection, interrupt, threads, login, :checkhealth codex, :help codex.
--
-- Mock script (queued by tests/e2e/test_neovim.py, in this order):
--   1. reasoning + a streamed message            (:CodexAsk hello there)
--   2. shell call, 3. two-hunk apply_patch, 4. message   (:CodexAsk change notes)
--   5. message                                   (:CodexAskSelection)
--   6. a message that hangs                      (:CodexInterrupt)
local H = require("harness")
local api = vim.api

local ws = assert(vim.env.CODEX_TEST_WS, "CODEX_TEST_WS not set")
local tmp = assert(vim.env.CODEX_TEST_TMP, "CODEX_TEST_TMP not set")
local notes = ws .. "/notes.txt"
local AGENT_TEXT = "Hello from the mock model.\nSecond line with `code` and *stars*."

local function original()
  local out = {}
  for i = 1, 30 do
    out[#out + 1] = "line " .. i .. "\n"
  end
  return table.concat(out)
end
local ORIGINAL = original()
local HUNK1_ONLY = ORIGINAL:gsub("line 3\n", "line three\n", 1)

-- ---------------------------------------------------------------------------------------
-- UI stubs and recorders

local hunk_answers = {} -- answers for the per-hunk review, in order; then "accept all"
local hunk_prompts = {}
local diff_seen = {}
local msg_prompts = {}
local thread_pick = nil
local input_answer = nil

vim.ui.select = function(items, opts, on_choice)
  if opts.kind == "codex_hunk" then
    table.insert(hunk_prompts, opts.prompt)
    local diff_wins, proposed = 0, false
    for _, w in ipairs(api.nvim_tabpage_list_wins(0)) do
      if vim.wo[w].diff then
        diff_wins = diff_wins + 1
      end
      if api.nvim_buf_get_name(api.nvim_win_get_buf(w)):find("codex://proposed/", 1, true) then
        proposed = true
      end
    end
    table.insert(diff_seen, { diff_wins = diff_wins, proposed = proposed })
    return on_choice(table.remove(hunk_answers, 1) or "Accept all remaining")
  elseif opts.kind == "codex_thread" then
    for _, it in ipairs(items) do
      if it.id == thread_pick then
        return on_choice(it)
      end
    end
    return on_choice(nil)
  end
  -- window/showMessageRequest (Neovim's built-in handler)
  table.insert(msg_prompts, opts.prompt or "")
  for _, it in ipairs(items) do
    if it.title == "Run" or it.title == "Apply" then
      return on_choice(it)
    end
  end
  on_choice(nil)
end

vim.ui.input = function(_, cb)
  cb(input_answer)
end

local events = {}
local statuslines = {}
api.nvim_create_autocmd("User", {
  pattern = "CodexNotification",
  callback = function(args)
    table.insert(events, args.data)
    statuslines[require("codex").statusline()] = true
  end,
})

local function count(method, pred)
  local n = 0
  for _, e in ipairs(events) do
    if e.method == method and (not pred or pred(e.params)) then
      n = n + 1
    end
  end
  return n
end

local function last(method)
  for i = #events, 1, -1 do
    if events[i].method == method then
      return events[i].params
    end
  end
end

local function wait_turns(n, ms)
  return H.wait(ms or 60000, function()
    return count("codex/turn/completed") >= n
  end, n .. " completed turn(s)")
end

local function completed_items(kind, turn_id)
  local out = {}
  for _, e in ipairs(events) do
    if e.method == "codex/item/completed" and e.params.item.type == kind
      and (not turn_id or e.params.turnId == turn_id) then
      table.insert(out, e.params.item)
    end
  end
  return out
end

local function tool_outputs(body)
  local out = {}
  for _, item in ipairs(body.input or {}) do
    if item.type == "function_call_output" or item.type == "custom_tool_call_output" then
      table.insert(out, type(item.output) == "string" and item.output or vim.json.encode(item.output))
    end
  end
  return out
end

-- ---------------------------------------------------------------------------------------

local codex = require("codex")
local chat = require("codex.chat")
local state = require("codex.state")

H.step("setup registers the server", function()
  H.ok(vim.g.loaded_codex == true, "plugin/codex.lua sourced")
  codex.setup({})
  local cfg = vim.lsp.config.codex
  H.eq(cfg and cfg.cmd, { "codex-lsp" }, "vim.lsp.config('codex').cmd")
  H.ok(vim.lsp.is_enabled("codex"), "vim.lsp.enable('codex')")
  for _, name in ipairs({ "Codex", "CodexAsk", "CodexAskSelection", "CodexNewThread", "CodexThreads",
    "CodexInterrupt", "CodexUndo", "CodexLogin" }) do
    H.ok(vim.fn.exists(":" .. name) == 2, ":" .. name .. " exists")
  end
  H.eq(codex.statusline(), "", "statusline empty before the server runs")
  H.eq(vim.fn.maparg("<CR>", "n"), "", "no global keymaps taken")
end)

vim.cmd.edit(vim.fn.fnameescape(notes))
local nbuf = api.nvim_get_current_buf()
local client

H.step("opening a file starts and attaches the client", function()
  H.require(H.wait(20000, function()
    client = vim.lsp.get_clients({ name = "codex", bufnr = nbuf })[1]
    return client ~= nil and client.initialized
  end, "codex client"), "client attached and initialized")
  local caps = client.capabilities
  H.eq(caps.experimental.codex, { approvals = false, deltas = true }, "experimental.codex")
  H.eq(caps.workspace.workspaceEdit.changeAnnotationSupport, { groupsOnLabel = true },
    "changeAnnotationSupport advertised")
  H.ok(client.handlers["workspace/applyEdit"] == require("codex.apply").handler,
    "the plugin's applyEdit handler is installed on the client")
  H.eq(client.root_dir, ws, "root_dir is the workspace")
  H.eq(codex.statusline(), "codex: idle", "statusline idle")
end)

H.step(":CodexAsk streams the answer into the chat", function()
  vim.cmd("CodexAsk hello there")
  H.ok(wait_turns(1), "turn 1 completed")
  H.eq(last("codex/turn/completed").turn.status, "completed", "turn 1 status")
  local msgs = completed_items("agentMessage")
  H.eq(#msgs, 1, "one agentMessage completed")
  local completed = msgs[1] and msgs[1].text or "?"
  H.eq(completed, AGENT_TEXT, "completed text is the scripted text")
  H.ok(count("codex/item/agentMessage/delta") > 1, "the message streamed as several deltas")
  local text = chat.text()
  H.contains(text, "## Codex\n" .. completed .. "\n", "the chat shows exactly the completed agent message")
  H.contains(text, "## You\nhello there\n", "the question is shown")
  H.contains(text, "── turn completed", "turn footer")
  H.contains(text, "tokens:", "token use in the footer")
  -- Reasoning: shown, folded.
  local win = chat.win()
  H.ok(win ~= nil, "chat window open")
  local lines = api.nvim_buf_get_lines(chat.buf, 0, -1, false)
  local rline = nil
  for i, l in ipairs(lines) do
    if l == "▸ Reasoning" then
      rline = i
    end
  end
  H.ok(rline ~= nil, "reasoning header shown")
  H.eq(lines[rline + 1], "  Thinking about the greeting.", "reasoning summary shown")
  local closed = api.nvim_win_call(win, function()
    return vim.fn.foldclosed(rline)
  end)
  H.eq(closed, rline, "the reasoning is folded")
  H.ok(api.nvim_get_current_buf() == nbuf, "focus stayed in the file")
  local saw_busy = statuslines["codex: thinking…"] or statuslines["codex: responding…"]
  H.ok(saw_busy, "statusline showed the agent busy", vim.inspect(vim.tbl_keys(statuslines)))
  local sl = codex.statusline()
  H.ok(sl:find("^codex: idle · ") ~= nil, "statusline idle with token use", sl)
end)

H.step("command approval + two-hunk patch: accept hunk 1, reject hunk 2", function()
  hunk_answers = { "Accept this hunk", "Reject this hunk" }
  vim.cmd("CodexAsk change notes")
  H.ok(wait_turns(2), "turn 2 completed")
  local turn = last("codex/turn/completed").turn
  H.eq(turn.status, "completed", "turn 2 status")
  -- The command went through window/showMessageRequest -> vim.ui.select.
  H.ok(msg_prompts[1] and msg_prompts[1]:find("wants to run", 1, true), "command approval asked",
    vim.inspect(msg_prompts))
  H.eq(H.read_file(ws .. "/plugin_ran.txt"), "plugin\n", "the approved command ran")
  local saw = {}
  for sl in pairs(statuslines) do
    saw[(sl:gsub(" · .*$", ""))] = true
  end
  H.ok(saw["codex: running cmd"], "statusline showed the command running", vim.inspect(vim.tbl_keys(saw)))
  H.ok(saw["codex: waiting for approval"], "statusline showed the approval wait")
  -- The patch: reviewed per hunk in diff mode.
  H.eq(#hunk_prompts, 3, "asked about two hunks and a new file")
  H.contains(hunk_prompts[1] or "", "notes.txt hunk 1/2", "first hunk prompt")
  H.contains(hunk_prompts[2] or "", "notes.txt hunk 2/2", "second hunk prompt")
  H.contains(hunk_prompts[3] or "", "Create new.txt?", "new file prompt (then: accept all remaining)")
  H.eq(H.read_file(ws .. "/new.txt"), "brand new\n", "the accepted new file is on disk")
  H.eq(diff_seen[1], { diff_wins = 2, proposed = true }, "diff mode shown while asking")
  H.eq(vim.fn.tabpagenr("$"), 1, "the review tab is closed")
  local proposed_left = false
  for _, b in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_get_name(b):find("codex://proposed/", 1, true) then
      proposed_left = true
    end
  end
  H.ok(not proposed_left, "the proposed scratch buffer is gone")
  local unnamed = vim.tbl_filter(function(b)
    return vim.bo[b].buflisted and api.nvim_buf_get_name(b) == ""
  end, api.nvim_list_bufs())
  H.eq(#unnamed, 0, "no stray empty buffers")
  H.eq(H.buf_text(nbuf), HUNK1_ONLY, "the buffer has hunk 1 only")
  H.eq(H.read_file(notes), HUNK1_ONLY, "the file on disk has hunk 1 only (saved)")
  H.ok(not vim.bo[nbuf].modified, "the buffer is saved")
  local fc = completed_items("fileChange", turn.id)[1]
  H.ok(fc ~= nil, "fileChange completed")
  if fc then
    H.eq(fc.status, "completed", "fileChange status")
    local diff = fc.changes[1] and fc.changes[1].diff or ""
    H.contains(diff, "+line three", "the item shows hunk 1")
    H.ok(not diff:find("twenty-six", 1, true), "the item does not show hunk 2", diff)
  end
  local reqs = H.mock_requests()
  H.eq(#reqs, 4, "four model requests so far")
  local outs = table.concat(tool_outputs(reqs[4].body), "\n")
  H.contains(outs, "rejected these hunks", "the model is told a hunk was rejected")
  H.contains(outs, "notes.txt: hunk 2", "... which one")
  local text = chat.text()
  H.contains(text, "### $ echo plugin > plugin_ran.txt; echo out  · completed, exit 0",
    "the command and its status in the chat")
  H.contains(text, "```text\nout\n```", "the command output in the chat")
  H.ok(count("codex/item/commandExecution/outputDelta") > 0, "command output streamed (outputDelta)")
  H.contains(text, "### ✎ notes.txt (update), new.txt (add)  · completed", "the file change in the chat")
end)

H.step(":CodexUndo restores the file", function()
  if not codex.server_has_command(client, "codex.undoTurn") then
    H.skip(":CodexUndo", "the server does not advertise the codex.undoTurn command")
    return
  end
  local done, result, err = false, nil, nil
  codex.undo(function(r, e)
    done, result, err = true, r, e
  end)
  H.ok(H.wait(30000, function()
    return done
  end, "codex.undoTurn"), "codex.undoTurn answered")
  H.ok(err == nil, "no error", vim.inspect(err))
  H.eq(result and result.undone, true, "undone", vim.inspect(result))
  H.eq(H.read_file(notes), ORIGINAL, "the file on disk is back")
  H.eq(H.buf_text(nbuf), ORIGINAL, "the buffer is back")
  H.eq(H.read_file(ws .. "/new.txt"), nil, "the new file is gone")
  H.contains(chat.text(), "Undid the last turn", "the chat says so")
end)

H.step(":CodexAskSelection sends the range as a document input", function()
  api.nvim_set_current_buf(nbuf)
  vim.cmd("1,2CodexAskSelection what are these lines")
  H.ok(wait_turns(3), "turn 3 completed")
  local users = completed_items("userMessage")
  local content = users[#users] and users[#users].content or {}
  H.eq(content[1], { type = "text", text = "what are these lines" }, "the question")
  local doc = content[2] or {}
  H.eq(doc.type, "document", "a document input")
  H.eq(doc.uri, vim.uri_from_fname(notes), "its uri")
  H.eq(doc.range, { start = { line = 0, character = 0 }, ["end"] = { line = 1, character = 6 } },
    "its range")
  H.contains(chat.text(), "> selection: notes.txt:1-2", "the chat shows the selection")
  local reqs = H.mock_requests()
  local body = vim.json.encode(reqs[5] and reqs[5].body or {})
  H.contains(body, "line 1\\nline 2", "the model got the selected text")
end)

H.step(":CodexInterrupt stops a running turn", function()
  vim.cmd("CodexAsk tell me everything")
  H.ok(H.wait(30000, function()
    return state.turn_id ~= nil and count("codex/item/agentMessage/delta") > 2
      and (last("codex/item/agentMessage/delta") or {}).turnId == state.turn_id
  end, "the answer streaming"), "the answer is streaming")
  H.eq(codex.statusline(), "codex: responding…" .. codex.statusline():sub(#"codex: responding…" + 1),
    "statusline says responding")
  vim.cmd("CodexInterrupt")
  H.ok(wait_turns(4, 30000), "turn 4 completed")
  H.eq(last("codex/turn/completed").turn.status, "interrupted", "turn 4 interrupted")
  H.contains(chat.text(), "── turn interrupted", "the chat says so")
  H.ok(codex.statusline():find("^codex: idle") ~= nil, "statusline idle again")
end)

H.step("a model error shows in the chat", function()
  vim.cmd("CodexAsk this will fail")
  H.ok(wait_turns(5, 30000), "turn 5 completed")
  H.eq(last("codex/turn/completed").turn.status, "failed", "turn 5 failed")
  H.ok(last("codex/error") ~= nil, "codex/error received")
  local text = chat.text()
  H.contains(text, "> **Error:** ", "the error is in the chat")
  H.contains(text, "── turn failed", "the failed turn is in the chat")
end)

H.step("the applyEdit handler on its own: reject all, dismiss, no annotations", function()
  local apply = require("codex.apply")
  local path = ws .. "/scratch.txt"
  H.write_file(path, "a\nb\nc\n")
  local uri = vim.uri_from_fname(path)
  local function edit(confirm)
    return {
      changeAnnotations = { x = { label = "Codex: edit scratch.txt", needsConfirmation = confirm } },
      documentChanges = { {
        textDocument = { uri = uri }, -- version null: nil, as the LSP client decodes it
        edits = {
          { range = { start = { line = 0, character = 0 }, ["end"] = { line = 1, character = 0 } },
            newText = "A\n", annotationId = "x" },
          { range = { start = { line = 2, character = 0 }, ["end"] = { line = 3, character = 0 } },
            newText = "C\n", annotationId = "x" },
        },
      } },
    }
  end
  local co_result = nil
  local function run(e)
    co_result = nil
    coroutine.wrap(function()
      co_result = apply.apply(e, client, "test")
    end)()
    H.wait(5000, function()
      return co_result ~= nil
    end, "apply")
    return co_result
  end
  local before = #hunk_prompts
  hunk_answers = { "Reject all remaining" }
  H.eq(run(edit(true)), { applied = false, failureReason = "rejected by the user" }, "reject all")
  H.eq(#hunk_prompts - before, 1, "one prompt for two hunks")
  H.eq(H.read_file(path), "a\nb\nc\n", "nothing applied")
  hunk_answers = { "Reject this hunk" }
  local saved_select = vim.ui.select
  local n = 0
  vim.ui.select = function(items, opts, cb)
    n = n + 1
    if n == 1 then
      return cb("Accept this hunk")
    end
    return cb(nil) -- dismissed: rejects the rest
  end
  H.eq(run(edit(true)), { applied = true }, "accept one, dismiss the next")
  vim.ui.select = saved_select
  H.eq(H.read_file(path), "A\nb\nc\n", "only the first hunk, saved to disk")
  H.eq(run(edit(false)), { applied = true }, "no confirmation: applied directly")
  H.eq(H.read_file(path), "A\nb\nC\n", "applied and saved")
  local b = vim.fn.bufnr(path)
  H.ok(b ~= -1 and vim.lsp.buf_is_attached(b, client.id), "the edited buffer is synced to the server")
end)

H.step(":CodexNewThread and :CodexThreads (resume renders the history)", function()
  local first = state.thread_id
  H.ok(first ~= nil, "a thread is active")
  vim.cmd("CodexNewThread")
  H.ok(H.wait(15000, function()
    return state.thread_id ~= nil and state.thread_id ~= first
  end, "new thread"), "a new thread started")
  H.ok(not chat.text():find("hello there", 1, true), "the chat was cleared")
  thread_pick = first
  vim.cmd("CodexThreads")
  H.ok(H.wait(15000, function()
    return state.thread_id == first
  end, "resume"), "the first thread is resumed")
  local text = chat.text()
  H.contains(text, "Resumed thread", "resume noted")
  H.contains(text, "## You\nhello there\n", "history: the first question")
  H.contains(text, "## Codex\n" .. AGENT_TEXT .. "\n", "history: the first answer")
  H.contains(text, "### ✎ notes.txt (update)", "history: the file change")
end)

H.step(":CodexLogin sends the key from inputsecret", function()
  local asked = nil
  vim.fn.inputsecret = function(prompt)
    asked = prompt
    return "sk-test-key"
  end
  vim.cmd("CodexLogin")
  H.ok(H.wait(15000, function()
    return last("codex/account/login/completed") ~= nil
  end, "login completed"), "login completed")
  H.ok(asked ~= nil, "the key was asked without echo")
  H.eq(last("codex/account/login/completed").success, true, "login succeeded")
end)

H.step(":checkhealth codex", function()
  vim.cmd("checkhealth codex")
  local lines = api.nvim_buf_get_lines(0, 0, -1, false)
  local text = table.concat(lines, "\n")
  H.ok(not text:find("ERROR", 1, true), "no ERROR", text)
  H.contains(text, "codex-lsp --help` runs (exit 0)", "the server runs")
  H.contains(text, "client " .. client.id .. " running", "the client is reported")
  vim.cmd("tabclose")
end)

H.step(":help codex", function()
  local rt = tmp .. "/help-rt"
  vim.fn.mkdir(rt .. "/doc", "p")
  local src = vim.g.codex_test_repo .. "/nvim/doc/codex.txt"
  H.write_file(rt .. "/doc/codex.txt", H.read_file(src))
  local ok, err = pcall(vim.cmd, "helptags " .. vim.fn.fnameescape(rt .. "/doc"))
  H.ok(ok, "helptags without errors (no duplicate tags)", err)
  vim.opt.runtimepath:append(rt)
  for _, tag in ipairs({ "codex", "codex.setup()", ":CodexAsk", ":CodexAskSelection", ":CodexUndo",
    "codex-statusline", "codex-config", "codex-review" }) do
    local found = pcall(vim.cmd, "help " .. tag)
    H.ok(found and api.nvim_buf_get_name(0):find("codex.txt", 1, true) ~= nil, ":help " .. tag)
    pcall(vim.cmd, "helpclose")
  end
end)

if vim.env.CODEX_TEST_DUMP then
  -- For looking at it: the transcript as the chat buffer shows it.
  H.write_file(vim.env.CODEX_TEST_DUMP, chat.text())
end

H.finish()
