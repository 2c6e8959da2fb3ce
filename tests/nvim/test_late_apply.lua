-- A slow plain Neovim (no plugin): the user picks Apply after a pause, Neovim answers
-- `workspace/applyEdit` 2 s after applying it, and its didChange is debounced by 5 s (so
-- it reaches the server about 3 s after the answer, as in the report). The server must
-- wait for it and report the patch applied, not declined.
--
-- Mock script (queued by tests/e2e/test_late_apply.py): apply_patch of notes.txt and of
-- other.txt (not open: Neovim edits it in a hidden buffer it neither syncs nor writes),
-- final message.
local H = require("harness")

local ws = assert(vim.env.CODEX_TEST_WS, "CODEX_TEST_WS not set")
local notes = ws .. "/notes.txt"
local ANSWER_DELAY_MS = 2000
local DEBOUNCE_MS = 5000

local completed_turns = {}
local items = {}
local answers = {}

-- showMessageRequest -> vim.ui.select: the user takes a moment before choosing Apply.
vim.ui.select = function(choices, opts, on_choice)
  local want = (opts.prompt or ""):find("wants to change", 1, true) and "Apply" or nil
  vim.defer_fn(function()
    for _, c in ipairs(choices) do
      if c.title == want then
        return on_choice(c)
      end
    end
    on_choice(nil)
  end, 1500)
end

vim.cmd.edit(vim.fn.fnameescape(notes))
local buf = vim.api.nvim_get_current_buf()

local client_id = vim.lsp.start({
  name = "codex-late",
  cmd = { "codex-lsp" },
  root_dir = ws,
  flags = { debounce_text_changes = DEBOUNCE_MS },
  handlers = {
    ["codex/turn/completed"] = function(_, params)
      table.insert(completed_turns, params.turn)
    end,
    ["codex/item/completed"] = function(_, params)
      table.insert(items, params.item)
    end,
    -- Neovim's own handler applies the edit; the answer leaves only after a pause (server
    -- requests run in a coroutine: yield until a timer resumes it).
    ["workspace/applyEdit"] = function(err, params, ctx)
      local result = vim.lsp.handlers["workspace/applyEdit"](err, params, ctx)
      local applied_at = vim.uv.now()
      local co = coroutine.running()
      vim.defer_fn(function()
        coroutine.resume(co)
      end, ANSWER_DELAY_MS)
      coroutine.yield()
      table.insert(answers, { result = result, waited = vim.uv.now() - applied_at })
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
end)

H.step("a turn whose patch is applied late", function()
  local res = client:request_sync("codex/thread/start", { cwd = ws }, 15000)
  H.require(res and res.result and res.result.thread, "codex/thread/start", res and vim.inspect(res.err))
  local thread_id = res.result.thread.id
  res = client:request_sync("codex/turn/start",
    { threadId = thread_id, input = { { type = "text", text = "edit notes.txt" } } }, 15000)
  H.require(res and res.result and res.result.turn, "codex/turn/start", res and vim.inspect(res.err))
  H.ok(H.wait(90000, function()
    return #completed_turns > 0
  end, "turn/completed"), "the turn completed")
  H.eq((completed_turns[1] or {}).status, "completed", "turn status")
end)

H.step("the answer was late and the patch counts as applied", function()
  H.eq(#answers, 1, "one workspace/applyEdit")
  local a = answers[1]
  if a then
    H.eq(a.result.applied, true, "applyEdit applied")
    H.ok(a.waited >= ANSWER_DELAY_MS - 50, "the answer left after the pause", a.waited)
  end
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  H.eq(lines[3], "line three", "hunk 1 is in the buffer")
  H.eq(lines[26], "line twenty-six", "hunk 2 is in the buffer")
  local fc
  for _, it in ipairs(items) do
    if it.type == "fileChange" then
      fc = it
    end
  end
  H.ok(fc ~= nil, "a fileChange item")
  if fc then
    H.eq(fc.status, "completed", "the fileChange item completed")
    local diffs = {}
    for _, c in ipairs(fc.changes or {}) do
      diffs[vim.fs.basename(c.path)] = c.diff
    end
    H.contains(diffs["notes.txt"] or "", "+line three", "the item's diff has hunk 1")
    H.contains(diffs["notes.txt"] or "", "+line twenty-six", "the item's diff has hunk 2")
    H.contains(diffs["other.txt"] or "", "+BETA", "the item's diff has other.txt")
  end
  local disk = H.read_file(notes) or ""
  H.contains(disk, "line 2\nline three\nline 4\n", "the server wrote hunk 1 to disk")
  H.contains(disk, "line 25\nline twenty-six\nline 27\n", "the server wrote hunk 2 to disk")
  H.eq(H.read_file(ws .. "/other.txt"), "alpha\nBETA\ngamma\n", "the server wrote other.txt")
  local other = vim.fn.bufnr(ws .. "/other.txt")
  if other ~= -1 and vim.api.nvim_buf_is_loaded(other) then
    H.eq(H.buf_text(other), "alpha\nBETA\ngamma\n", "Neovim's hidden buffer of other.txt")
  end
end)

H.finish()
