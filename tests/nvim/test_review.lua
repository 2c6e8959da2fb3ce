-- :CodexReview with the plugin, the real server and the mock model.
--
-- The workspace (made by tests/e2e/test_neovim_review.py) is a git repository (branches
-- main, feature-x, release/1.0) with uncommitted changes in app/alpha.py and app/beta.py.
-- Mock script, in this order:
--   1. review JSON: a P3 finding in app/alpha.py:2, a P1 finding in app/beta.py:5-6
--   2. a message                (the turn the "Ask Codex to fix" code action starts)
--   3. plain text, not JSON     (:CodexReview custom ...: output null)
--   4. review JSON, no findings (:CodexReview! ...: a detached review)
local H = require("harness")
local api = vim.api

local ws = assert(vim.env.CODEX_TEST_WS, "CODEX_TEST_WS not set")
local tmp = assert(vim.env.CODEX_TEST_TMP, "CODEX_TEST_TMP not set")
local alpha = ws .. "/app/alpha.py"
local beta = ws .. "/app/beta.py"
local P1 = assert(vim.env.CODEX_REVIEW_P1)
local P1_BODY = assert(vim.env.CODEX_REVIEW_P1_BODY)
local P3 = assert(vim.env.CODEX_REVIEW_P3)
local FIX_ANSWER = assert(vim.env.CODEX_REVIEW_FIX)
local PLAIN = assert(vim.env.CODEX_REVIEW_PLAIN)
local CUSTOM = assert(vim.env.CODEX_REVIEW_CUSTOM)

-- ---------------------------------------------------------------------------------------
-- Recorders (tests/nvim/harness.lua)

H.record_notes()
local notes, noted, received, await_turn, items_of = H.notes, H.noted, H.received, H.await_turn, H.items_of

local statuslines = {}
H.record_notifications(function()
  statuslines[(require("codex").statusline():gsub(" · .*$", ""))] = true
end)

local function item_of(turn_id, kind)
  for _, item in ipairs(items_of(turn_id)) do
    if item.type == kind then
      return item
    end
  end
end

local function review_diagnostics(bufnr)
  return vim.tbl_filter(function(d)
    return d.source == "codex review"
  end, vim.diagnostic.get(bufnr))
end

local function find_line(text, needle)
  return (text:find(needle, 1, true))
end

-- ---------------------------------------------------------------------------------------

local codex = require("codex")
local chat = require("codex.chat")
local review = require("codex.review")
local state = require("codex.state")
codex.setup({})

H.step("targets: the arguments of :CodexReview", function()
  H.eq(review.parse(""), { type = "uncommittedChanges" }, "no argument: uncommitted changes")
  H.eq(review.parse("uncommitted"), { type = "uncommittedChanges" }, "uncommitted")
  H.eq(review.parse("branch feature-x"), { type = "baseBranch", branch = "feature-x" }, "branch")
  H.eq(review.parse("commit HEAD", ws), { type = "commit", sha = "HEAD", title = "initial commit" },
    "commit: the title is the commit's subject")
  H.eq(review.parse("commit 0123abc Fix the parser"), { type = "commit", sha = "0123abc", title = "Fix the parser" },
    "commit with a title")
  H.eq(review.parse("custom  look at  the tests "), { type = "custom", instructions = "look at  the tests" },
    "custom: the rest of the line")
  for _, bad in ipairs({ "branch", "branch a b", "commit", "custom", "uncommitted x", "everything" }) do
    local target, err = review.parse(bad)
    H.ok(target == nil and type(err) == "string", "rejected: " .. bad, vim.inspect({ target, err }))
  end
end)

H.step("completion: the target, then local branches", function()
  H.eq(vim.fn.getcompletion("CodexReview ", "cmdline"), { "uncommitted", "branch", "commit", "custom" },
    "first word")
  H.eq(vim.fn.getcompletion("CodexReview c", "cmdline"), { "commit", "custom" }, "first word, prefix")
  local branches = vim.fn.getcompletion("CodexReview branch ", "cmdline")
  table.sort(branches)
  H.eq(branches, { "feature-x", "main", "release/1.0" }, "local branches")
  H.eq(vim.fn.getcompletion("CodexReview branch re", "cmdline"), { "release/1.0" }, "branches, prefix")
  H.eq(#vim.fn.getcompletion("CodexReview commit ", "cmdline"), 1, "recent commits")
  H.eq(vim.fn.getcompletion("CodexReview custom ", "cmdline"), {}, "nothing for custom")
  H.ok(vim.fn.exists(":CodexReviewClear") == 2, ":CodexReviewClear exists")
end)

vim.cmd.edit(vim.fn.fnameescape(beta))
local bbuf = api.nvim_get_current_buf()
local fwin = api.nvim_get_current_win()
local client

H.step("opening a file starts the client", function()
  local ready = H.wait(20000, function()
    local c = codex.get_client()
    return c ~= nil and c.initialized and vim.lsp.buf_is_attached(bbuf, c.id)
  end, "codex client")
  client = codex.get_client()
  H.require(ready, "client attached and initialized")
  local methods = client.server_capabilities.experimental.codex.methods or {}
  H.require(vim.tbl_contains(methods, "codex/review/start"), "the server serves codex/review/start",
    vim.inspect(methods))
  H.ok(codex.server_has_command(client, "codex.clearReview"), "the server offers codex.clearReview")
end)

local review_turn
H.step(":CodexReview fills the quickfix list from the diagnostics", function()
  vim.cmd("CodexReview")
  local done = await_turn(1)
  H.require(done ~= nil, "the review turn completed")
  review_turn = done.turn
  H.eq(review_turn.status, "completed", "review turn status")
  local started = items_of(review_turn.id, "codex/item/started")
  H.eq(started[1] and started[1].type, "enteredReviewMode", "the first item is enteredReviewMode")
  local exited = item_of(review_turn.id, "exitedReviewMode")
  H.require(exited ~= nil and type(exited.output) == "table", "exitedReviewMode with an output",
    vim.inspect(exited))
  H.eq(#exited.output.findings, 2, "two findings in the output")

  local qf = vim.fn.getqflist({ title = 1, items = 1, winid = 1 })
  H.eq(qf.title, "Codex review", "quickfix title")
  H.require(#qf.items == 2, "two quickfix entries", vim.inspect(qf.items))
  local got = vim.tbl_map(function(it)
    return {
      file = api.nvim_buf_get_name(it.bufnr),
      lnum = it.lnum,
      end_lnum = it.end_lnum,
      text = it.text,
      type = it.type,
    }
  end, qf.items)
  H.eq(got, {
    { file = beta, lnum = 5, end_lnum = 6, text = "[P1] " .. P1, type = "E" },
    { file = alpha, lnum = 2, end_lnum = 2, text = "[P3] " .. P3, type = "I" },
  }, "the quickfix list holds both findings, P1 first")
  -- Findings without a diagnostic (here: none of that turn) come from the output itself.
  local from_output = vim.tbl_map(function(it)
    return { it.filename, it.lnum, it.end_lnum, it.text, it.type }
  end, review.quickfix_items("not-this-turn", exited.output))
  H.eq(from_output, { { beta, 5, 6, "[P1] " .. P1, "E" }, { alpha, 2, 2, "[P3] " .. P3, "I" } },
    "without diagnostics the entries come from the output")
  H.ok(qf.winid ~= 0, "the quickfix window is open")
  H.eq(api.nvim_get_current_win(), fwin, "the cursor stayed in the file's window")

  local bd = review_diagnostics(bbuf)
  H.eq(#bd, 1, "one review diagnostic in app/beta.py")
  if bd[1] then
    H.eq(bd[1].severity, vim.diagnostic.severity.ERROR, "P1 is an Error")
    H.eq(bd[1].code, "P1", "code P1")
    H.eq({ bd[1].lnum, bd[1].col }, { 4, 0 }, "starts at line 5 (0-based 4), column 0")
    H.eq(bd[1].message, P1 .. "\n\n" .. P1_BODY, "message: title, blank line, body")
  end
  local abuf = vim.fn.bufnr(alpha)
  H.ok(abuf ~= -1, "app/alpha.py has a buffer (made by the LSP client)")
  H.ok(not api.nvim_buf_is_loaded(abuf), "app/alpha.py was never loaded")
  local ad = review_diagnostics(abuf)
  H.eq(#ad, 1, "one review diagnostic in app/alpha.py")
  if ad[1] then
    H.eq(ad[1].severity, vim.diagnostic.severity.INFO, "P3 is Information")
    H.eq(ad[1].code, "P3", "code P3")
  end

  local note = noted("codex: review: ")
  H.eq(note and note.msg, "codex: review: 2 findings (1 P1, 1 P3) · patch is incorrect", "summary notified")
  H.ok(statuslines["codex: reviewing…"], "the statusline showed the review",
    vim.inspect(vim.tbl_keys(statuslines)))

  local text = chat.text()
  local entered = started[1] and started[1].review or "?"
  H.contains(text, "### Reviewing: " .. entered .. "\n", "the chat shows what is reviewed")
  H.contains(text, "### Review · 2 findings (1 P1, 1 P3)\n", "the chat shows the findings header")
  H.contains(text, "- [P1] " .. P1 .. " · app/beta.py:5-6\n  " .. P1_BODY .. "\n", "the P1 finding with its body")
  H.contains(text, "- [P3] " .. P3 .. " · app/alpha.py:2\n", "the P3 finding")
  local p1_at, p3_at = find_line(text, "[P1]"), find_line(text, "[P3]")
  H.ok(p1_at and p3_at and p1_at < p3_at, "P1 listed before P3")
  H.contains(text, "**Verdict:** patch is incorrect (confidence 0.75)", "the verdict")
end)

H.step("'Ask Codex to fix' (vim.lsp.buf.code_action) starts a turn the chat shows", function()
  api.nvim_set_current_win(fwin)
  vim.cmd("cfirst")
  H.eq(api.nvim_buf_get_name(0), beta, ":cfirst opens app/beta.py")
  H.eq(api.nvim_win_get_cursor(0)[1], 5, "... on the finding's line")
  local titles = {}
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      table.insert(titles, action.title)
      return action.title == "Ask Codex to fix: " .. P1
    end,
  })
  local turn = await_turn(2)
  H.require(turn ~= nil, "the fix turn completed")
  H.ok(vim.tbl_contains(titles, "Ask Codex to fix: " .. P1), "the action was offered", vim.inspect(titles))
  H.eq(turn.threadId, received("codex/turn/completed")[1].threadId, "on the review's thread")
  H.eq(turn.turn.status, "completed", "fix turn status")
  local user = item_of(turn.turn.id, "userMessage")
  H.contains(vim.json.encode(user and user.content or {}), P1, "the user message names the finding")
  local text = chat.text()
  local after = text:sub((find_line(text, "**Verdict:**") or 1))
  H.contains(after, "## You\n", "the chat shows the question after the review")
  H.contains(after, "## Codex\n" .. FIX_ANSWER .. "\n", "... and the answer")
end)

H.step(":CodexReviewClear clears the diagnostics and the quickfix list", function()
  vim.cmd("CodexReviewClear")
  H.ok(H.wait(15000, function()
    return #review_diagnostics(nil) == 0
  end, "diagnostics cleared"), "no review diagnostics left")
  local qf = vim.fn.getqflist({ title = 1, items = 1, winid = 1 })
  H.eq({ qf.title, #qf.items, qf.winid }, { "Codex review", 0, 0 }, "the list is empty, its window closed")
end)

H.step("a review answered in plain text: no quickfix, the text in the chat", function()
  vim.cmd("CodexReview custom " .. CUSTOM)
  local done = await_turn(3)
  H.require(done ~= nil, "the custom review completed")
  local exited = item_of(done.turn.id, "exitedReviewMode")
  -- Neovim's LSP client decodes a null inside an object as nil.
  H.ok(exited ~= nil and (exited.output == nil or exited.output == vim.NIL), "output is null",
    vim.inspect(exited))
  H.contains(chat.text(), "### Review\n" .. PLAIN .. "\n", "the reviewer's text in the chat")
  H.eq(#vim.fn.getqflist(), 0, "the quickfix list stays empty")
  H.eq(vim.fn.getqflist({ winid = 1 }).winid, 0, "no quickfix window")
  H.ok(noted("no structured findings") ~= nil, "notified")
end)

H.step(":CodexReview! reviews in a new thread", function()
  local before = state.thread_id
  vim.cmd("CodexReview! branch feature-x")
  local done = await_turn(4)
  H.require(done ~= nil, "the detached review completed")
  H.ok(done.threadId ~= before, "its turn belongs to another thread")
  H.eq(state.thread_id, done.threadId, "the chat follows the new thread")
  H.ok(noted("codex: review: no findings · patch is correct") ~= nil, "no findings notified",
    vim.inspect(notes))
  H.eq(vim.fn.getqflist({ winid = 1 }).winid, 0, "no quickfix window without findings")
end)

H.step("resuming the first thread shows the review", function()
  local first = received("codex/turn/completed")[1].threadId
  local resumed = nil
  codex.resume(first, function(thread)
    resumed = thread
  end)
  H.ok(H.wait(15000, function()
    return resumed ~= nil
  end, "resume"), "resumed")
  local text = chat.text()
  H.contains(text, "### Reviewing: ", "history: the review's start")
  H.contains(text, "- [P1] " .. P1 .. " · app/beta.py:5-6", "history: the P1 finding")
end)

H.step(":help for the review commands", function()
  local rt = tmp .. "/help-rt"
  vim.fn.mkdir(rt .. "/doc", "p")
  H.write_file(rt .. "/doc/codex.txt", H.read_file(vim.g.codex_test_repo .. "/nvim/doc/codex.txt"))
  local ok, err = pcall(vim.cmd, "helptags " .. vim.fn.fnameescape(rt .. "/doc"))
  H.ok(ok, "helptags without errors (no duplicate tags)", err)
  vim.opt.runtimepath:append(rt)
  local opened = {}
  for _, tag in ipairs({ ":CodexReview", ":CodexReviewClear", "codex-code-review" }) do
    opened[tag] = pcall(vim.cmd.help, tag) and vim.fn.expand("%:t") or false
    pcall(vim.cmd.helpclose)
  end
  H.eq(opened, { [":CodexReview"] = "codex.txt", [":CodexReviewClear"] = "codex.txt",
    ["codex-code-review"] = "codex.txt" }, ":help opens codex.txt at each tag")
end)

if vim.env.CODEX_TEST_DUMP then
  H.write_file(vim.env.CODEX_TEST_DUMP, chat.text())
end

H.finish()
