-- Issue 15 with the plugin, the real server and the mock model: the hunk review with the
-- buffer-local keys of the diff tab (Neovim usable meanwhile), chat cards that say what the
-- files hold, the chat input with references, the chat's highlighting, the model picker,
-- the thread actions of :CodexThreads, :help from the shipped tags.
--
-- config.toml sets approval_policy "untrusted" (tests/e2e/test_neovim.py's `env`), so every
-- edit is reviewed. Mock script (tests/e2e/test_neovim_ux.py), in this order:
--   1. apply_patch: three hunks in notes.txt (lines 3, 15, 27)   (reviewed with the keys)
--   2. "Reviewed."
--   3. an answer with a ```lua and a ```diff block               (the chat input's message)
--   4. "Answered by the picked model."                          (after :CodexModel)
--   5. apply_patch: notes.txt line 10, adds new.txt             (accepted with one key)
--   6. "Second edit done."
-- The thread is left for tests/nvim/test_editor_ux_restart.lua (its id in $TMP/thread-id).
local H = require("harness")
local api = vim.api

local ws = assert(vim.env.CODEX_TEST_WS, "CODEX_TEST_WS not set")
local tmp = assert(vim.env.CODEX_TEST_TMP, "CODEX_TEST_TMP not set")
local MESSAGE = assert(vim.env.CODEX_UX_MESSAGE)
local notes_path = ws .. "/notes.txt"
local new_path = ws .. "/new.txt"
local ORIGINAL = H.read_file(notes_path)
local AFTER_REVIEW = ORIGINAL:gsub("line 3\n", "line three\n", 1):gsub("line 27\n", "line twenty-seven\n", 1)

-- ---------------------------------------------------------------------------------------
-- Recorders and UI stubs

H.record_notes()
H.record_notifications()
local received, await_turn, items_of, noted = H.received, H.await_turn, H.items_of, H.noted

local picks = {} -- vim.ui.select kind -> function(items, labels) -> the choice
local selects = {} -- every vim.ui.select: {kind, prompt, labels}
vim.ui.select = function(items, opts, on_choice)
  local labels = vim.tbl_map(opts.format_item or tostring, items)
  table.insert(selects, { kind = opts.kind, prompt = opts.prompt, labels = labels })
  local pick = picks[opts.kind]
  on_choice(pick and pick(items, labels) or nil)
end
local input_answer = nil
vim.ui.input = function(_, cb)
  cb(input_answer)
end

local function keys(k)
  -- Typed keys, mappings included (the review's keys are buffer-local mappings).
  api.nvim_feedkeys(vim.keycode(k), "mx", false)
end

local function line_of(text, needle)
  for i, l in ipairs(vim.split(text, "\n", { plain = true })) do
    if l:find(needle, 1, true) then
      return i, l
    end
  end
end

local U = require("ux_helpers")
local card = U.card

local codex = require("codex")
local chat = require("codex.chat")
local state = require("codex.state")
local apply = require("codex.apply")
local review = require("codex.hunk_review")
local input = require("codex.input")
local cards = require("codex.cards")
local config = require("codex.config")
codex.setup({ review = { ui = "keys" } })

vim.cmd.edit(vim.fn.fnameescape(notes_path))
local nbuf = api.nvim_get_current_buf()
local fwin = api.nvim_get_current_win()

H.step("review.ui: keys with a UI attached, select in a scripted headless Neovim", function()
  config.options.review.ui = "auto"
  local function ui_in_coroutine()
    local out
    coroutine.wrap(function()
      out = apply.review_ui()
    end)()
    return out
  end
  H.eq(ui_in_coroutine(), "select", "auto, headless: select")
  local real = api.nvim_list_uis
  api.nvim_list_uis = function()
    return { { width = 120, height = 40 } }
  end
  H.eq(ui_in_coroutine(), "keys", "auto, a UI attached: keys")
  H.eq(apply.review_ui(), "select", "outside a coroutine nothing could wait: select")
  api.nvim_list_uis = real
  config.options.review.ui = "keys"
  H.eq(ui_in_coroutine(), "keys", "keys when asked for")
end)

H.step("the client starts", function()
  H.require(H.wait(20000, function()
    local c = codex.get_client()
    return c ~= nil and c.initialized and vim.lsp.buf_is_attached(nbuf, c.id)
  end, "codex client"), "client attached and initialized")
  for _, name in ipairs({ "CodexModel", "CodexHunks", "CodexThreads" }) do
    H.ok(vim.fn.exists(":" .. name) == 2, ":" .. name .. " exists")
  end
end)

local first_turn
H.step("hunk review with the buffer-local keys, while scrolling and using Neovim", function()
  vim.cmd("CodexAsk please edit notes")
  local r = U.await_review()
  local view = r.view
  H.eq(vim.fn.tabpagenr("$"), 2, "the review has a tab of its own")
  H.ok(api.nvim_get_current_tabpage() == view.tab, "the review tab is current")
  H.ok(api.nvim_get_current_win() == view.right_win, "the cursor is in the proposed text")
  H.eq(vim.fn.fnamemodify(api.nvim_buf_get_name(view.proposed), ":."), "notes.txt (proposed)",
    "the tab is named by the file's relative path")
  H.ok(api.nvim_win_get_buf(view.left_win) == nbuf, "the other side is the file's own buffer")
  H.ok(vim.wo[view.left_win].diff and vim.wo[view.right_win].diff, "both sides in diff mode")
  H.eq(api.nvim_win_get_cursor(view.right_win)[1], 3, "on hunk 1 (line 3)")
  local bar = vim.wo[view.right_win].winbar
  for _, part in ipairs({ "notes.txt · proposed", "hunk 1/3", "0 accepted", "3 to decide" }) do
    H.contains(bar, part, "the winbar shows " .. part)
  end
  local keyline = vim.wo[view.right_win].statusline
  for _, part in ipairs({ "a accept", "r reject", "]c/[c next/prev", "A/R accept/reject all", "q finish",
    "g? help" }) do
    H.contains(keyline, part, "the keys are listed: " .. part)
  end
  H.eq(vim.bo[view.proposed].buftype, "nowrite", "the proposal cannot be written")
  H.eq(vim.fn.bufname(view.proposed), "notes.txt (proposed)", "its name is shown relative, as a file's")
  H.contains(vim.wo[view.left_win].winbar, "notes.txt", "the file's side is labelled")
  local mapped = {}
  for _, m in ipairs(api.nvim_buf_get_keymap(view.proposed, "n")) do
    mapped[m.lhs] = true
  end
  for _, lhs in ipairs({ "a", "r", "]c", "[c", "A", "R", "q", "g?" }) do
    H.ok(mapped[lhs], "buffer-local key " .. lhs)
  end
  local on_file = {}
  for _, m in ipairs(api.nvim_buf_get_keymap(nbuf, "n")) do
    on_file[m.lhs] = true
  end
  H.ok(not on_file["a"] and not on_file["r"], "no review keys on the file's own buffer")
  H.eq(vim.fn.mode(), "n", "Normal mode: no prompt waits for keys")
  keys("g?")
  local help = noted("codex: review keys") or {}
  H.contains(help.msg or "", "a      accept the hunk", "g? lists the keys")
  H.eq(r.units[1].hunks[1].decision, nil, "... and decides nothing")

  -- Scrolling and the rest of Neovim while the agent waits.
  vim.cmd("normal! G")
  H.eq(api.nvim_win_get_cursor(0)[1], 30, "G scrolls to the end of the proposal")
  vim.cmd("normal! gg")
  vim.cmd(vim.keycode("normal! 5<C-e>"))
  H.ok(vim.fn.line("w0") > 1, "<C-e> scrolls the proposal")
  vim.cmd("tabprevious")
  vim.cmd.edit(vim.fn.fnameescape(ws .. "/other.txt"))
  api.nvim_buf_set_lines(0, 0, -1, false, { "written while the review waits" })
  vim.cmd("write")
  H.eq(H.read_file(ws .. "/other.txt"), "written while the review waits\n", "another file edited and written")
  vim.cmd("buffer " .. nbuf)
  H.eq(#received("codex/turn/completed"), 0, "the turn still waits for the review")
  H.ok(H.wait(5000, function()
    return chat.text():find("waiting for your review", 1, true) ~= nil
  end, "card"), "the chat card says the edit waits for the review")
  vim.cmd("CodexHunks")
  H.ok(api.nvim_get_current_tabpage() == view.tab and api.nvim_get_current_win() == view.right_win,
    ":CodexHunks goes back to the review")

  -- The keys.
  vim.cmd("normal! gg")
  keys("]c")
  H.eq(api.nvim_win_get_cursor(0)[1], 3, "]c: hunk 1")
  keys("a")
  H.eq(r.units[1].hunks[1].decision, true, "a: hunk 1 accepted")
  H.eq(api.nvim_win_get_cursor(0)[1], 15, "... and the cursor moves to hunk 2")
  H.contains(vim.wo[view.right_win].winbar, "hunk 2/3 · 1 accepted · 0 rejected · 2 to decide", "the winbar counts")
  local marks = api.nvim_buf_get_extmarks(view.proposed, -1, 0, -1, { details = true })
  local texts = {}
  for _, m in ipairs(marks) do
    local vt = m[4].virt_text
    if vt then
      texts[m[2] + 1] = vt[1][1]
    end
  end
  H.contains(texts[3] or "", "hunk 1/3 · accepted", "hunk 1 is marked accepted")
  H.contains(texts[15] or "", "hunk 2/3 · to decide (current)", "hunk 2 is the current one")
  vim.cmd("normal! G")
  keys("[c")
  H.eq(api.nvim_win_get_cursor(0)[1], 27, "[c from the end: hunk 3")
  keys("[c")
  H.eq(api.nvim_win_get_cursor(0)[1], 15, "[c: hunk 2")
  keys("r")
  H.eq(r.units[1].hunks[2].decision, false, "r: hunk 2 rejected")
  H.eq(api.nvim_win_get_cursor(0)[1], 27, "... and on to hunk 3")
  vim.cmd("normal! gg")
  keys("a") -- the cursor is on no hunk: the current one (3)
  local done = await_turn(1)
  H.require(done ~= nil and done.turn.status == "completed", "the turn completed after the review", vim.inspect(done))
  first_turn = done.turn.id
  H.eq(r.units[1].hunks[3].decision, true, "a: hunk 3 accepted")
  H.eq(vim.fn.tabpagenr("$"), 1, "the review tab is closed")
  H.ok(review.current == nil, "no review left open")
  H.eq(H.buf_text(nbuf), AFTER_REVIEW, "the buffer has hunks 1 and 3")
  H.eq(H.read_file(notes_path), AFTER_REVIEW, "... saved to disk")
  local fc = items_of(first_turn)
  fc = vim.tbl_filter(function(i)
    return i.type == "fileChange"
  end, fc)[1]
  H.eq(fc and fc.status, "completed", "the fileChange completed")
  H.contains(card("notes.txt (update)"), "· completed · partly applied (notes.txt: 2 of 3 hunks)", "the card says partly applied")
end)

H.step("the card's state is highlighted", function()
  local ns = api.nvim_get_namespaces()["codex.chat"]
  local row = line_of(chat.text(), "partly applied (notes.txt")
  local groups = {}
  for _, m in ipairs(api.nvim_buf_get_extmarks(chat.buf, ns, { row - 1, 0 }, { row - 1, -1 }, { details = true })) do
    groups[m[4].hl_group] = true
  end
  H.ok(groups.CodexCardPartial, "the words are highlighted CodexCardPartial", vim.inspect(groups))
end)

H.step("the chat input: multi-line, #buffer, #selection, @file, sent with a key", function()
  api.nvim_set_current_win(fwin)
  api.nvim_set_current_buf(nbuf)
  vim.cmd("normal! 5GVj" .. vim.keycode("<Esc>"))
  vim.cmd("Codex")
  local iwin = input.win()
  H.require(iwin ~= nil, "the input window is open")
  H.ok(api.nvim_get_current_win() == iwin, ":Codex puts the cursor in the input")
  H.eq(api.nvim_buf_get_name(input.buf), "codex://input", "the input buffer")
  local cwin = chat.win()
  H.ok(cwin ~= nil, "the chat window is open")
  local cpos, ipos = api.nvim_win_get_position(cwin), api.nvim_win_get_position(iwin)
  H.ok(ipos[1] > cpos[1] and ipos[2] == cpos[2], "the input is under the chat", vim.inspect({ cpos, ipos }))
  H.contains(vim.wo[iwin].winbar, "Send: <C-s>, or <CR> in Normal mode · @file #buffer #selection",
    "its winbar tells how to use it")
  -- Completion (omnifunc).
  api.nvim_buf_set_lines(input.buf, 0, -1, false, { "look at @no" })
  api.nvim_win_set_cursor(iwin, { 1, 11 })
  H.eq(input.complete(1, ""), 8, "completion starts at @")
  H.eq(input.complete(0, "@no"), { "@notes.txt" }, "@ completes files")
  H.eq(input.complete(0, "#s"), { "#selection" }, "# completes the references")
  api.nvim_buf_set_lines(input.buf, 0, -1, false, {})
  -- An unknown reference stays text; a missing selection is refused before sending.
  local refs = input.references("mail me@example.invalid about @nosuchfile")
  H.eq(refs, {}, "@words that name no file stay text")
  -- Typed in Insert mode, sent with <C-s>.
  local typed = MESSAGE:gsub("\n", "<CR>")
  keys("i" .. typed .. "<C-s>")
  local done = await_turn(2)
  H.require(done ~= nil and done.turn.status == "completed", "the message's turn completed")
  H.eq(api.nvim_buf_get_lines(input.buf, 0, -1, false), { "" }, "the input is emptied")
  local user = vim.tbl_filter(function(i)
    return i.type == "userMessage"
  end, items_of(done.turn.id))[1]
  local content = user and user.content or {}
  H.eq(content[1], { type = "text", text = MESSAGE }, "the text as typed (two lines)")
  H.eq(content[2], { type = "document", uri = vim.uri_from_fname(notes_path) }, "#buffer: the whole file")
  H.eq(content[3], {
    type = "document",
    uri = vim.uri_from_fname(notes_path),
    range = { start = { line = 4, character = 0 }, ["end"] = { line = 5, character = 6 } },
  }, "#selection: lines 5-6")
  H.eq(content[4], { type = "mention", name = "notes.txt", path = notes_path }, "@notes.txt: a mention")
  local text = chat.text()
  H.contains(text, "## You\n" .. MESSAGE .. "\n> buffer: notes.txt\n> selection: notes.txt:5-6\n> @notes.txt\n",
    "the chat shows the message and its references")
  -- <C-p> recalls it.
  api.nvim_set_current_win(iwin)
  keys("<C-p>")
  H.eq(table.concat(api.nvim_buf_get_lines(input.buf, 0, -1, false), "\n"), MESSAGE, "<C-p> recalls the last message")
  api.nvim_buf_set_lines(input.buf, 0, -1, false, {})
  -- Nothing typed: nothing sent.
  keys("<CR>")
  H.ok(noted("nothing to send") ~= nil, "an empty input is not sent")
end)

H.step("the chat: markdown with code blocks highlighted in their language, diffs coloured", function()
  H.eq(chat.highlighting, "treesitter", "the markdown treesitter parser highlights the chat")
  H.ok(vim.treesitter.highlighter.active[chat.buf] ~= nil, "the highlighter is active")
  local parser = vim.treesitter.get_parser(chat.buf)
  parser:parse(true)
  H.ok(parser:children().lua ~= nil, "the ```lua block is injected (highlighted as Lua)",
    vim.inspect(vim.tbl_keys(parser:children())))
  local ns = api.nvim_get_namespaces()["codex.chat"]
  local text = chat.text()
  local add_row = line_of(text, "+new line")
  local del_row = line_of(text, "-old line")
  local function groups_at(row)
    local out = {}
    for _, m in ipairs(api.nvim_buf_get_extmarks(chat.buf, ns, { row - 1, 0 }, { row - 1, -1 }, { details = true })) do
      out[m[4].hl_group] = true
    end
    return out
  end
  H.ok(groups_at(add_row).CodexDiffAdd, "an added line of a ```diff block")
  H.ok(groups_at(del_row).CodexDiffDelete, "a removed line")
  -- Without the parser: the legacy syntax, no error.
  local real = vim.treesitter.start
  vim.treesitter.start = function()
    error("no parser for markdown")
  end
  local b = api.nvim_create_buf(false, true)
  H.eq(chat.start_highlighting(b), "syntax", "without a markdown parser: the markdown syntax instead")
  vim.treesitter.start = real
  api.nvim_buf_delete(b, { force = true })
end)

H.step(":CodexModel picks the model (and effort) of the next turns", function()
  local offered, current_label = nil, nil
  picks.codex_model = function(items, labels)
    offered = items
    for i, m in ipairs(items) do
      if m.model == state.thread_model then
        current_label = labels[i]
      end
    end
    for _, m in ipairs(items) do
      if m.model ~= state.thread_model then
        return m
      end
    end
  end
  local effort = nil
  picks.codex_effort = function(items)
    effort = items[1].reasoningEffort
    return items[1]
  end
  vim.cmd("CodexModel")
  H.require(H.wait(15000, function()
    return state.model ~= nil
  end, "model"), "a model was picked", vim.inspect(offered))
  H.note("models offered: " .. table.concat(vim.tbl_map(function(m)
    return m.model
  end, offered or {}), ", "))
  if current_label then
    H.contains(current_label, "· current", "the thread's model is marked current")
  end
  H.write_file(tmp .. "/picked-model", state.model)
  H.contains(chat.text(), "Model for the next turns: " .. state.model, "the chat says so")
  vim.cmd("CodexAsk which model answers")
  local done = await_turn(3)
  H.require(done ~= nil and done.turn.status == "completed", "the next turn completed")
  H.eq(vim.fn.getcompletion("CodexModel ", "cmdline")[1] ~= nil, true, ":CodexModel <Tab> completes model names")
  H.note("effort picked: " .. tostring(effort))
end)

local second_turn
H.step("an edit of two files accepted with one key; reverted in the editor; redone", function()
  vim.cmd("CodexAsk second edit")
  local r = U.await_review()
  H.eq(#r.units, 2, "two files to review")
  H.contains(vim.wo[r.view.right_win].winbar, "file 1/2", "the winbar says which file")
  keys("A")
  local done = await_turn(4)
  H.require(done ~= nil and done.turn.status == "completed", "the turn completed")
  second_turn = done.turn.id
  H.eq(H.read_file(new_path), "brand new\n", "new.txt created")
  H.contains(H.read_file(notes_path), "line ten\n", "notes.txt edited")
  H.contains(card("notes.txt (update), new.txt (add)") or "", "· completed · applied", "the card says applied")
  -- Undone in the editor (u, :w): the card follows what the files hold.
  api.nvim_set_current_win(fwin)
  api.nvim_set_current_buf(nbuf)
  vim.cmd("normal! u")
  vim.cmd("write")
  U.await_card("notes.txt (update), new.txt (add)", "partly reverted",
    "after u in notes.txt the card says partly reverted")
  vim.cmd(vim.keycode("normal! <C-r>"))
  vim.cmd("write")
  U.await_card("notes.txt (update), new.txt (add)", "applied", "after <C-r> it says applied again")
end)

H.step(":CodexUndo: the card says undone, the other card keeps what it says", function()
  local result, err = U.undo()
  H.ok(err == nil, "no error", vim.inspect(err))
  H.eq(result and result.turnId, second_turn, "the second edit's turn was undone")
  H.eq(H.read_file(new_path), nil, "new.txt is gone")
  H.eq(H.read_file(notes_path), AFTER_REVIEW, "notes.txt is back")
  U.await_card("notes.txt (update), new.txt (add)", "undone")
  H.contains(card("notes.txt (update)"), "partly applied",
    "the first card still says partly applied")
  H.contains(chat.text(), "_Undid the last turn's file changes (\"second edit\"); restored ", "the chat says what was undone")
  local saved = H.read_file(cards.state_file()) or ""
  H.contains(saved, second_turn, "the undo is remembered (" .. cards.state_file() .. ")")
end)

local original
H.step(":CodexThreads: the current thread marked; rename, fork, archive, archived", function()
  original = state.thread_id
  -- Rename through the list's action.
  local stage = 0
  local list_labels = nil
  picks.codex_thread = function(items, labels)
    stage = stage + 1
    if stage == 1 then
      list_labels = labels
      for _, it in ipairs(items) do
        if it.action == "rename" then
          return it
        end
      end
    end
    return items[1] -- the current thread comes first
  end
  input_answer = "UX thread"
  vim.cmd("CodexThreads")
  H.ok(H.wait(15000, function()
    return #received("codex/thread/name/updated") > 0
  end, "renamed"), "codex/thread/name/updated")
  local updated = received("codex/thread/name/updated")[1] or {}
  H.eq({ updated.threadId, updated.name }, { original, "UX thread" }, "renamed to UX thread")
  H.ok(list_labels ~= nil and list_labels[1]:sub(1, #"●") == "●", "the current thread is marked ●",
    vim.inspect(list_labels))
  local tail = list_labels and list_labels[#list_labels] or ""
  H.eq(tail, "» Archived threads (unarchive one)…", "the actions follow the threads")
  H.contains(table.concat(list_labels or {}, "\n"), "» Rename a thread…", "rename offered")
  -- The list shows the new name with the mark.
  stage = 10
  picks.codex_thread = function(_, labels)
    list_labels = labels
    return nil
  end
  vim.cmd("CodexThreads")
  H.wait(10000, function()
    return list_labels ~= nil and list_labels[1]:find("UX thread", 1, true) ~= nil
  end, "list")
  H.contains(list_labels[1], "● ", "current thread first, marked")
  H.contains(list_labels[1], "UX thread", "with its new name")

  -- Fork (a subcommand on the current thread).
  vim.cmd("CodexThreads fork")
  H.require(H.wait(15000, function()
    return state.thread_id ~= nil and state.thread_id ~= original
  end, "fork"), "the fork is the current thread")
  local fork = state.thread_id
  H.eq(state.thread and state.thread.forkedFromId, original, "forked from the original")
  local text = chat.text()
  H.contains(text, "Forked thread", "the chat shows the fork")
  H.contains(text, "## You\nplease edit notes\n", "with the history")

  -- Archive it; the archived list brings it back.
  vim.cmd("CodexThreads archive")
  H.ok(H.wait(15000, function()
    return noted("codex: thread archived") ~= nil
  end, "archived"), "archived")
  H.eq(state.thread_id, nil, "no current thread: the next message starts one")
  H.contains(chat.text(), "Thread archived", "the chat says so")
  local archived_labels = nil
  picks.codex_thread = function(items, labels)
    archived_labels = labels
    for _, it in ipairs(items) do
      if it.id == fork then
        return it
      end
    end
  end
  vim.cmd("CodexThreads archived")
  H.ok(H.wait(15000, function()
    return state.thread_id == fork
  end, "unarchived"), "picked from the archived list: unarchived and resumed")
  H.eq(archived_labels and #archived_labels, 1, "one archived thread")
  -- Back to the original thread (for the restart).
  U.call("resume", function(cb)
    codex.resume(original, cb)
  end)
  H.write_file(tmp .. "/thread-id", original)
  H.contains(chat.text(), "Resumed thread · UX thread", "the chat shows its name")
end)

H.step(":help works from the shipped doc/tags", function()
  local doc = vim.g.codex_test_repo .. "/nvim/doc/codex.txt"
  local opened = {}
  for _, tag in ipairs({ "codex", "codex-review-keys", "codex-cards", "codex-chat-input", "codex-references",
    ":CodexModel", ":CodexThreads", ":CodexHunks" }) do
    local ok = pcall(vim.cmd.help, tag)
    opened[tag] = ok and api.nvim_buf_get_name(0) == doc
    pcall(vim.cmd.helpclose)
  end
  for tag, ok in pairs(opened) do
    H.ok(ok, ":help " .. tag)
  end
end)

if vim.env.CODEX_TEST_DUMP then
  H.write_file(vim.env.CODEX_TEST_DUMP, chat.text())
end

H.finish()
