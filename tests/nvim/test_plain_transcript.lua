-- No plugin, not blind: only vim.lsp.config + vim.lsp.enable, Neovim's built-in handlers.
-- The approval prompt of an edit holds its diff; the server opens the thread's transcript
-- (window/showDocument, without taking focus) where the turn's answer is readable; the end
-- of each turn is announced (window/showMessage); "Ask Codex to fix this" needs no
-- diagnostic.
--
-- Mock script (queued by tests/e2e/test_neovim_plain.py): a shell call, an apply_patch of
-- notes.txt (two hunks), the answer; then the answer of the "fix this" turn.
local H = require("harness")

local ws = assert(vim.env.CODEX_TEST_WS, "CODEX_TEST_WS not set")
local home = assert(vim.env.CODEX_HOME, "CODEX_HOME not set")
local answer = assert(vim.env.CODEX_PLAIN_ANSWER, "CODEX_PLAIN_ANSWER not set")
local fix_answer = assert(vim.env.CODEX_PLAIN_FIX_ANSWER, "CODEX_PLAIN_FIX_ANSWER not set")
local notes = ws .. "/notes.txt"
local api = vim.api

local completed = {}
local messages = {}
local prompts = {}

H.step("the plugin is not loaded", function()
  H.ok(vim.g.loaded_codex == nil, "plugin/codex.lua not sourced")
  H.ok(vim.fn.exists(":CodexAsk") == 0, "no :CodexAsk command")
end)

-- Approvals arrive as window/showMessageRequest: Neovim 0.11 asks through vim.ui.select.
vim.ui.select = function(choices, opts, on_choice)
  local prompt = opts.prompt or ""
  table.insert(prompts, prompt)
  local want = prompt:find("wants to run", 1, true) and "Run"
    or prompt:find("wants to change", 1, true) and "Apply"
    or nil
  for _, c in ipairs(choices) do
    if c.title == want then
      return on_choice(c)
    end
  end
  on_choice(nil)
end

-- What a user's config holds (the handlers only record what Neovim does by itself).
vim.lsp.config("codex", {
  cmd = { "codex-lsp" },
  handlers = {
    ["codex/turn/completed"] = function(_, params)
      table.insert(completed, params)
    end,
    ["window/showMessage"] = function(err, params, ctx)
      table.insert(messages, params)
      return vim.lsp.handlers["window/showMessage"](err, params, ctx)
    end,
  },
})
vim.lsp.enable("codex")

vim.cmd.edit(vim.fn.fnameescape(notes))
local buf = api.nvim_get_current_buf()
local win = api.nvim_get_current_win()
local client

H.step("the server starts and attaches to notes.txt", function()
  H.require(H.wait(20000, function()
    client = vim.lsp.get_clients({ name = "codex", bufnr = buf })[1]
    return client ~= nil and client.initialized
  end, "initialize"), "client attached and initialized")
end)

local function execute(command, argument)
  local res = client:request_sync("workspace/executeCommand",
    { command = command, arguments = { argument } }, 15000, buf)
  return res and res.result, res and res.err
end

local thread_id

H.step("a turn asked through workspace/executeCommand (codex.ask) completes", function()
  local result, err = execute("codex.ask", { text = "please run a command and edit notes.txt" })
  H.require(result ~= nil and result.threadId ~= nil, "codex.ask answered", vim.inspect(err))
  thread_id = result.threadId
  H.require(H.wait(60000, function()
    return #completed >= 1
  end, "turn/completed"), "the turn completed")
  H.eq(completed[1].turn.status, "completed", "turn status")
end)

H.step("the approval of the edit shows its hunks and its diff", function()
  H.eq(#prompts, 2, "two approvals (command, edit)")
  H.contains(prompts[1] or "", "Codex wants to run: ", "the command's prompt")
  local change = prompts[2] or ""
  H.contains(change, "Codex wants to change " .. notes .. " (2 hunks, +2 -2)", "files and counts")
  H.contains(change, "\n-line 3\n+line three\n", "hunk 1's lines")
  H.contains(change, "\n@@ -23,7 +23,7 @@\n", "hunk 2's header")
  H.contains(change, "\n-line 26\n+line twenty-six\n", "hunk 2's lines")
  local lines = api.nvim_buf_get_lines(buf, 0, -1, false)
  H.eq({ lines[3], lines[26] }, { "line three", "line twenty-six" }, "the edit is in the buffer")
end)

local transcript = home .. "/transcripts/" .. "%s.md"
local tbuf

local function transcript_window()
  for _, w in ipairs(api.nvim_list_wins()) do
    if api.nvim_win_get_buf(w) == tbuf then
      return w
    end
  end
end

H.step("the server opened the transcript, without taking focus, at the turn", function()
  local path = transcript:format(thread_id)
  H.require(H.wait(15000, function()
    tbuf = vim.fn.bufnr(path)
    return tbuf ~= -1 and api.nvim_buf_is_loaded(tbuf) and transcript_window() ~= nil
  end, "the transcript buffer"), "a window shows " .. path)
  H.eq(api.nvim_get_current_win(), win, "focus stayed in notes.txt's window")
  H.eq(api.nvim_get_current_buf(), buf, "... on notes.txt")
  local text = H.buf_text(tbuf)
  H.contains(text, "### You\n\nplease run a command and edit notes.txt\n", "the question")
  H.contains(text, "**Ran** `echo plain > ran.txt && echo plain` · exit 0", "the command")
  H.contains(text, "```text\nplain\n```", "its output")
  H.contains(text, "**Edited** `notes.txt` · 2 hunks, +2 -2\n```diff\n", "the file change")
  H.contains(text, "\n" .. answer .. "\n\n_Turn completed · ", "the answer")
  local cursor = api.nvim_win_get_cursor(transcript_window())
  local at = api.nvim_buf_get_lines(tbuf, cursor[1] - 1, cursor[1], false)[1] or ""
  H.ok(at:find("^## Turn 1 · ") ~= nil, "the cursor is on the turn's heading", at)
end)

H.step("the end of the turn was announced", function()
  H.ok(H.wait(5000, function()
    return #messages >= 1
  end, "window/showMessage"), "a window/showMessage")
  H.eq(messages[1] and messages[1].message, "Codex: " .. vim.split(answer, "\n")[1],
    "its text: the answer's first line")
end)

H.step("'Ask Codex to fix this' at the cursor, with no diagnostic", function()
  api.nvim_set_current_win(win)
  api.nvim_win_set_cursor(win, { 5, 2 })
  H.eq(#vim.diagnostic.get(buf), 0, "no diagnostics in the buffer")
  local titles = {}
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      table.insert(titles, action.title)
      return action.title == "Ask Codex to fix this"
    end,
  })
  H.require(H.wait(60000, function()
    return #completed >= 2
  end, "the fix turn"), "the fix turn completed")
  H.ok(vim.tbl_contains(titles, "Ask Codex to fix this"), "the action was offered",
    vim.inspect(titles))
  H.eq(completed[2].threadId, thread_id, "on the same thread (the current one)")
  local requests = H.mock_requests()
  local sent = vim.json.encode(requests[#requests].body)
  H.contains(sent, "Fix the problem in this code: line 5, columns 1-6 of " .. notes,
    "the model got the range")
  H.contains(sent, "The line:\\n```\\nline 5\\n```", "... and the line's text")
end)

H.step("the transcript holds the second turn (shown once; reloaded from disk)", function()
  H.ok(H.wait(5000, function()
    return #messages >= 2
  end, "the second announcement"), "the second turn was announced")
  H.eq(messages[2] and messages[2].message, "Codex: " .. fix_answer, "its text")
  local shown = 0
  for _, w in ipairs(api.nvim_list_wins()) do
    shown = shown + (api.nvim_win_get_buf(w) == tbuf and 1 or 0)
  end
  H.eq(shown, 1, "one window shows the transcript (not opened again)")
  vim.cmd("checktime " .. tbuf) -- (notes.txt: saved by the server, still modified here)
  local text = H.buf_text(tbuf)
  H.contains(text, "## Turn 2 · ", "the second turn")
  H.contains(text, "\n" .. fix_answer .. "\n\n_Turn completed · ", "its answer")
end)

H.finish()
