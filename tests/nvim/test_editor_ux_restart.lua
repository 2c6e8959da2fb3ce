-- After tests/nvim/test_editor_ux.lua, Neovim and the server start again (same CODEX_HOME,
-- same XDG state): the thread's chat cards still say what the files hold (`undone`,
-- `partly applied`), from the server's rollout and from the plugin's own record;
-- closing the review tab rejects the edit (the card says declined); :CodexUndo works after
-- the restart; once nothing is left, a plain notice says so.
-- Mock script: 7. apply_patch: notes.txt line 20 and deleting other.txt (both accepted),
-- 8. a message,
-- 9. apply_patch on notes.txt (its review closed with :q), 10. a message.
local H = require("harness")
local api = vim.api

local ws = assert(vim.env.CODEX_TEST_WS, "CODEX_TEST_WS not set")
local tmp = assert(vim.env.CODEX_TEST_TMP, "CODEX_TEST_TMP not set")
local notes_path = ws .. "/notes.txt"

H.record_notes()
H.record_notifications()
local noted = H.noted

local ORIGINAL = {}
for i = 1, 30 do
  ORIGINAL[#ORIGINAL + 1] = "line " .. i .. "\n"
end
ORIGINAL = table.concat(ORIGINAL)

local codex = require("codex")
local chat = require("codex.chat")
local state = require("codex.state")
local cards = require("codex.cards")
codex.setup({ review = { ui = "keys" } })

local thread_id = vim.trim(H.read_file(tmp .. "/thread-id") or "")
H.require(thread_id ~= "", "the first run left its thread id")

vim.cmd.edit(vim.fn.fnameescape(notes_path))
local nbuf = api.nvim_get_current_buf()

local U = require("ux_helpers")
local card, undo = U.card, U.undo

local function keys(k)
  api.nvim_feedkeys(vim.keycode(k), "mx", false)
end

local function resume()
  return U.call("resume", function(cb)
    codex.resume(thread_id, cb)
  end)
end

H.step("the client starts", function()
  H.require(H.wait(20000, function()
    local c = codex.get_client()
    return c ~= nil and c.initialized
  end, "codex client"), "client initialized")
end)

local first_turn
H.step("from the server's rollout alone (the plugin's record moved away): undone", function()
  local file = cards.state_file()
  H.require(H.read_file(file) ~= nil, "the first run left " .. file)
  H.require(os.rename(file, file .. ".away"), "moved away")
  cards.reload()
  local thread = resume()
  first_turn = thread.turns[1].id
  H.contains(card("notes.txt (update), new.txt (add)"), "· completed · undone", "the undone turn's card")
  H.contains(card("notes.txt (update)"), "· completed · applied",
    "without the plugin's record the partial review is not known (the files hold the change)")
  H.require(os.rename(file .. ".away", file), "moved back")
  cards.reload()
end)

H.step("after the restart the cards say undone and partly applied", function()
  resume()
  local text = chat.text()
  H.contains(text, "Resumed thread · UX thread", "the renamed thread")
  H.ok(card("notes.txt (update), new.txt (add)"):find("· completed · undone$") ~= nil,
    "after the restart the card says undone", card("notes.txt (update), new.txt (add)"))
  H.contains(card("notes.txt (update)"), "· completed · partly applied (notes.txt: 2 of 3 hunks)",
    "the first edit's card still says partly applied")
end)

local other = ws .. "/other.txt"
local delete_turn
H.step("an edit that deletes a file: the deletion is a hunk of its own", function()
  H.require(H.read_file(other) ~= nil, "other.txt exists (the first run wrote it)")
  local before = H.read_file(notes_path)
  vim.cmd("CodexAsk delete other.txt")
  local r = U.await_review()
  H.eq(#r.units, 2, "two files to review")
  H.eq(vim.fn.fnamemodify(r.units[1].fname, ":t"), "notes.txt", "first notes.txt")
  keys("a")
  H.ok(H.wait(5000, function()
    return r.unit == 2 and r.view ~= nil
  end, "second file"), "then other.txt")
  H.eq(api.nvim_buf_get_lines(r.view.proposed, 0, -1, false), { "" }, "its proposed text is empty")
  local marks = api.nvim_buf_get_extmarks(r.view.proposed, -1, 0, -1, { details = true })
  local note = marks[1] and marks[1][4].virt_text and marks[1][4].virt_text[1][1] or ""
  H.contains(note, "delete the file", "the hunk says the file is deleted")
  keys("a")
  local done = H.await_turn(1)
  H.require(done ~= nil and done.turn.status == "completed", "the turn completed", vim.inspect(done))
  delete_turn = done.turn.id
  H.eq(H.read_file(other), nil, "other.txt deleted")
  H.eq(H.read_file(notes_path), (before:gsub("line 20\n", "line twenty\n")), "notes.txt edited")
  H.ok(vim.endswith(card("notes.txt (update), other.txt (delete)", true), "· completed · applied"),
    "the card says applied", card("notes.txt (update), other.txt (delete)", true))
end)

H.step("closing the review (:q in the proposal) rejects what is left: the card says declined", function()
  local before = H.read_file(notes_path)
  vim.cmd("CodexAsk one more edit")
  local r = U.await_review()
  H.ok(vim.fn.tabpagenr("$") == 2, "the review tab is open")
  H.ok(api.nvim_get_current_win() == r.view.right_win, "in the proposed text")
  vim.cmd("quit")
  local done = H.await_turn(2)
  H.require(done ~= nil and done.turn.status == "completed", "the turn went on without the edit", vim.inspect(done))
  H.eq(r.units[1].hunks[1].decision, false, "the hunk was rejected")
  H.eq(vim.fn.tabpagenr("$"), 1, "the review tab closed with it (the file's side too)")
  local diff_wins = vim.tbl_filter(function(w)
    return vim.wo[w].diff
  end, api.nvim_list_wins())
  H.eq(#diff_wins, 0, "no window left in diff mode")
  H.eq(H.read_file(notes_path), before, "notes.txt is unchanged")
  H.ok(vim.endswith(card("notes.txt (update)", true), "· declined"), "the card says declined",
    card("notes.txt (update)", true))
end)

H.step(":CodexUndo after the restart: the deletion first", function()
  local result, err = undo()
  H.ok(err == nil, "no error", vim.inspect(err))
  H.eq(result and result.turnId, delete_turn, "the deleting turn")
  H.eq(H.read_file(other), "written while the review waits\n", "other.txt is back")
  H.ok(H.wait(5000, function()
    return vim.endswith(card("notes.txt (update), other.txt (delete)", true), "· completed · undone")
  end, "card"), "its card says undone", card("notes.txt (update), other.txt (delete)", true))
end)

H.step(":CodexUndo again undoes the first edit", function()
  local result, err = undo()
  H.ok(err == nil, "no error", vim.inspect(err))
  H.eq(result and result.turnId, first_turn, "the first edit's turn")
  H.eq(H.read_file(notes_path), ORIGINAL, "notes.txt is as it was before the thread")
  H.eq(H.buf_text(nbuf), ORIGINAL, "... and so is its buffer")
  U.await_card("notes.txt (update)", "undone", "its card says undone")
end)

H.step("a second undo with nothing left explains itself", function()
  local before = #H.notes
  local result, err = undo()
  H.ok(err == nil and result ~= nil and result.undone == false, "nothing was undone", vim.inspect({ result, err }))
  local note = noted("codex: Nothing to undo: this thread has no file changes to undo")
  H.ok(note ~= nil, "a notice says there is nothing left to undo", vim.inspect(vim.list_slice(H.notes, before + 1)))
  H.eq(note and note.level, vim.log.levels.INFO, "a plain notice, not an error")
  H.contains(note and note.msg or "", "file-changing turns were undone", "with the server's reason")
  for _, n in ipairs(vim.list_slice(H.notes, before + 1)) do
    H.ok(not n.msg:find("invalid params", 1, true) and not n.msg:find("failed", 1, true)
      and n.level ~= vim.log.levels.ERROR, "no error notice: " .. n.msg)
  end
  local text = chat.text()
  H.contains(text, "_Nothing to undo: this thread has no file changes to undo", "the chat says so too")
  H.ok(not text:find("**Error:**", 1, true), "no error card in the chat")
  H.eq(state.thread_id, thread_id, "the thread stays current")
end)

H.step(":q in the chat closes its input too", function()
  local input = require("codex.input")
  local cwin = chat.open()
  H.require(input.win() ~= nil, "the input is open under the chat")
  api.nvim_set_current_win(cwin)
  vim.cmd("quit")
  H.ok(H.wait(5000, function()
    return input.win() == nil
  end, "input closed"), "the input closed with the chat")
end)

H.step("a server that answers 'nothing to undo' with -32602 gets the same plain words", function()
  local undo_words = require("codex.undo")
  H.eq(undo_words.refusal({
    code = -32602,
    message = "thread 0b6c4c1e-2f0a-4d7e-9a51-3f2d8c1e7a10 has no file changes to undo (undo covers its last 20"
      .. " file-changing turns that are not undone yet)",
  }), "Nothing to undo: this thread has no file changes to undo (undo covers its last 20 file-changing turns"
    .. " that are not undone yet)", "an older server's refusal")
  H.eq(undo_words.refusal({ code = -32602, message = "only the last turn that changed files (t2) can be undone" }),
    "Cannot undo: only the last turn that changed files (t2) can be undone", "another refusal")
  H.eq(undo_words.refusal({ code = -32603, message = "boom" }), nil, "a real failure stays an error")
end)

if vim.env.CODEX_TEST_DUMP then
  H.write_file(vim.env.CODEX_TEST_DUMP, chat.text())
end

H.finish()
