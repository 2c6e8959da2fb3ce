-- Context control with the plugin, the real server and the mock model: :CodexCompact
-- (manual and automatic compaction in the chat, the context meter), :CodexRewind[!] (turns
-- leave the chat, files come back or stay), steering a running turn from the chat input.
--
-- The workspace holds notes.txt ("line 1".."line 30"); config.toml sets approval_policy
-- "never" (made by tests/e2e/test_neovim_context.py). Mock script, in this order:
--   1. "ANSWER-1", usage 150,000 tokens               (:CodexAsk QUESTION-1)
--   2. "SUMMARY-OF-WORK ..."                          (:CodexCompact)
--   3. "ANSWER-2"                                     (:CodexAsk QUESTION-2)
--   4. shell call, usage 250,000 tokens (over 90%)    (:CodexAsk QUESTION-3)
--   5. "SUMMARY-AUTO ..."                             (automatic compaction)
--   6. "ANSWER-3"
--   7. apply_patch: notes.txt line 3, adds hello.txt  (:CodexAsk QUESTION-4, then :CodexRewind)
--   8. "ANSWER-4"
--   9. apply_patch: adds keep.txt                     (:CodexAsk QUESTION-5, then :CodexRewind!)
--  10. "ANSWER-5"
--  11. a slow streamed answer                         (:CodexAsk QUESTION-6, steered)
--  12. "Answered the steer."
--  13. "ANSWER-7"                                     (a steer after the turn ended)
local H = require("harness")
local api = vim.api

local ws = assert(vim.env.CODEX_TEST_WS, "CODEX_TEST_WS not set")
local tmp = assert(vim.env.CODEX_TEST_TMP, "CODEX_TEST_TMP not set")
local STEER = assert(vim.env.CODEX_STEER_TEXT)
local notes_path = ws .. "/notes.txt"
local hello = ws .. "/hello.txt"
local keep = ws .. "/keep.txt"

local ORIGINAL = H.read_file(notes_path)

-- ---------------------------------------------------------------------------------------
-- Recorders and UI stubs

H.record_notes()
local notes, noted = H.notes, H.noted

local input_answer = nil
vim.ui.input = function(_, cb)
  cb(input_answer)
end

H.record_notifications()
local received, await_turn, items_of = H.received, H.await_turn, H.items_of

--- Run the Ex command `cmd`, whose turn must complete as the n-th turn seen; that
--- turn/completed.
local function run(cmd, n)
  vim.cmd(cmd)
  local done = await_turn(n)
  H.require(done ~= nil and done.turn.status == "completed", "turn " .. n .. " completed", vim.inspect(done))
  return done
end

local function kinds(items)
  return vim.tbl_map(function(i)
    return i.type
  end, items)
end

local function meter()
  return tonumber((require("codex").statusline():match("(%d+)%% ctx")))
end

-- ---------------------------------------------------------------------------------------

local codex = require("codex")
local chat = require("codex.chat")
local state = require("codex.state")
codex.setup({})

vim.cmd.edit(vim.fn.fnameescape(notes_path))
local nbuf = api.nvim_get_current_buf()
local fwin = api.nvim_get_current_win()

H.step("the commands exist and the client starts", function()
  for _, name in ipairs({ "CodexCompact", "CodexRewind" }) do
    H.ok(vim.fn.exists(":" .. name) == 2, ":" .. name .. " exists")
  end
  local ready = H.wait(20000, function()
    local c = codex.get_client()
    return c ~= nil and c.initialized and vim.lsp.buf_is_attached(nbuf, c.id)
  end, "codex client")
  H.require(ready, "client attached and initialized")
  local methods = codex.get_client().server_capabilities.experimental.codex.methods or {}
  for _, m in ipairs({ "codex/thread/compact/start", "codex/thread/rollback", "codex/turn/steer" }) do
    H.require(vim.tbl_contains(methods, m), "the server serves " .. m, vim.inspect(methods))
  end
end)

H.step("without a thread: nothing to compact or rewind", function()
  vim.cmd("CodexCompact")
  vim.cmd("CodexRewind")
  H.ok(noted("codex: no thread to compact") ~= nil, "compact: warned")
  H.ok(noted("codex: no thread to rewind") ~= nil, "rewind: warned")
end)

local meter_before
H.step("a first turn fills the context meter", function()
  run("CodexAsk QUESTION-1", 1)
  meter_before = meter()
  -- 150,000 of the model's 272,000 tokens.
  H.eq(meter_before, 55, "the statusline shows 55% ctx")
  H.eq(codex.statusline(), "codex: idle · 55% ctx", "statusline text")
end)

H.step(":CodexCompact: a compaction turn, the card, the meter drops", function()
  local done = run("CodexCompact", 2)
  H.eq(kinds(items_of(done.turn.id)), { "contextCompaction" }, "its only item is contextCompaction")
  local compacted = received("codex/thread/compacted")
  H.eq(#compacted, 1, "one codex/thread/compacted")
  H.eq(compacted[1] and compacted[1].turnId, done.turn.id, "... for that turn")
  local after = meter()
  H.ok(after ~= nil and after < meter_before, "the meter dropped", vim.inspect({ meter_before, after }))
  H.eq(codex.statusline(), string.format("codex: idle · %d%% ctx", after or -1), "statusline after")
  local text = chat.text()
  H.contains(text, string.format("── Context compacted · context 55%% → %d%%\n", after or -1),
    "the chat shows the compaction card with the meter's drop")
  H.ok(not text:find("Compacting the conversation…", 1, true), "no compaction left in progress")
  H.ok(noted("compacted automatically") == nil, "no automatic-compaction notice for a manual one")
end)

H.step("the next turn runs on the compacted history", function()
  run("CodexAsk QUESTION-2", 3)
  H.contains(chat.text(), "## Codex\nANSWER-2\n", "the answer is in the chat")
end)

H.step("automatic compaction inside a turn: the card and a notice", function()
  local done = run("CodexAsk QUESTION-3", 4)
  H.eq(kinds(items_of(done.turn.id)), { "userMessage", "commandExecution", "contextCompaction", "agentMessage" },
    "the compaction comes before the items of the request after it")
  H.eq(#received("codex/thread/compacted"), 2, "a second codex/thread/compacted")
  local n = noted("codex: the conversation was compacted automatically")
  H.eq(n and n.msg, "codex: the conversation was compacted automatically (the context window was 92% full)",
    "notified with how full the window was")
  local text = chat.text()
  local card = text:match("── Context compacted automatically · context 92%% → (%d+)%%\n")
  H.ok(card ~= nil, "the chat shows the automatic compaction card", text)
  local cmd_at = text:find("### $ echo TOOL-OUTPUT", 1, true)
  local card_at = text:find("── Context compacted automatically", 1, true)
  local answer_at = text:find("## Codex\nANSWER-3\n", 1, true)
  H.ok(cmd_at and card_at and answer_at and cmd_at < card_at and card_at < answer_at,
    "command, then the card, then the answer", vim.inspect({ cmd_at, card_at, answer_at }))
  H.ok(meter() ~= nil and meter() < 92, "the meter is below 92% after the turn", codex.statusline())
end)

H.step(":CodexRewind: arguments are checked", function()
  local before = #notes
  vim.cmd("CodexRewind 0")
  vim.cmd("CodexRewind two")
  H.ok(noted("must be a positive integer") ~= nil, "0 refused")
  H.ok(noted(":CodexRewind takes a number of turns, not two") ~= nil, "a word refused")
  vim.cmd("CodexRewind 99")
  H.ok(H.wait(10000, function()
    return noted("the thread has 4 turns; nothing was rewound") ~= nil
  end, "too many"), "more turns than the thread has: refused", vim.inspect(vim.list_slice(notes, before + 1)))
end)

H.step(":CodexRewind drops a turn that changed files and puts the files back", function()
  run("CodexAsk QUESTION-4", 5)
  H.require(H.read_file(hello) == "hello from turn four\n", "hello.txt was created", H.read_file(hello))
  H.ok(H.buf_text(nbuf):find("line three\n", 1, true) ~= nil, "the notes.txt buffer has the patch")
  H.ok((H.read_file(notes_path) or ""):find("line three\n", 1, true) ~= nil, "notes.txt on disk has the patch")
  H.contains(chat.text(), "## Codex\nANSWER-4\n", "the chat shows the turn")

  local thread, err, finished = nil, nil, false
  codex.rewind(nil, nil, function(t, e)
    thread, err, finished = t, e, true
  end)
  H.ok(H.wait(30000, function()
    return finished
  end, "rollback"), "the rollback answered")
  H.require(thread ~= nil, "the thread came back", vim.inspect(err))
  H.eq(#thread.turns, 4, "four turns remain")
  H.eq(H.read_file(hello), nil, "hello.txt is gone")
  H.eq(H.read_file(notes_path), ORIGINAL, "notes.txt on disk is back")
  H.eq(H.buf_text(nbuf), ORIGINAL, "the notes.txt buffer is back")
  local text = chat.text()
  H.ok(not text:find("## You\nQUESTION-4", 1, true), "the chat no longer shows the question", text)
  H.ok(not text:find("ANSWER-4", 1, true), "... nor the answer")
  H.contains(text, "## You\nQUESTION-3\n", "earlier turns stay")
  H.contains(text, "## Codex\nANSWER-3\n", "... with their answers")
  H.contains(text, "── Context compacted\n", "... and the manual compaction (from history)")
  H.contains(text, "── Context compacted automatically\n", "... and the automatic one")
  local expected = 'Rewound 1 turn ("QUESTION-4"); files restored: hello.txt, notes.txt'
  H.contains(text, "_" .. expected .. "_", "the chat says what was rewound")
  H.ok(noted("codex: " .. expected) ~= nil, "notified", vim.inspect(notes[#notes]))
  H.eq(received("codex/thread/reverted")[1], { threadId = state.thread_id }, "codex/thread/reverted")
end)

H.step(":CodexRewind! keeps the files", function()
  run("CodexAsk QUESTION-5", 6)
  H.require(H.read_file(keep) == "kept\n", "keep.txt was created")
  local count = #received("codex/thread/reverted")
  vim.cmd("CodexRewind!")
  H.ok(H.wait(30000, function()
    return noted("Rewound 1 turn (\"QUESTION-5\")") ~= nil
  end, "rewind!"), "rewound")
  H.eq(H.read_file(keep), "kept\n", "keep.txt stays")
  H.ok(noted('Rewound 1 turn ("QUESTION-5"); files kept as they are: keep.txt') ~= nil, "notified",
    vim.inspect(notes[#notes]))
  H.ok(not chat.text():find("## You\nQUESTION-5", 1, true), "the turn left the chat")
  H.ok(not chat.text():find("ANSWER-5", 1, true), "... its answer too")
  H.ok(H.wait(5000, function()
    return #received("codex/thread/reverted") == count + 1
  end, "reverted"), "codex/thread/reverted")
end)

H.step("steering: text sent from the chat while a turn runs joins that turn", function()
  local started_before = #received("codex/turn/started")
  vim.cmd("CodexAsk QUESTION-6")
  local running = nil
  H.require(H.wait(30000, function()
    for _, p in ipairs(received("codex/item/agentMessage/delta")) do
      if p.turnId == state.turn_id then
        running = p.turnId
        return true
      end
    end
    return false
  end, "the answer streaming"), "the answer streams")

  -- Compaction and rewind wait for the turn.
  vim.cmd("CodexCompact")
  vim.cmd("CodexRewind")
  H.ok(noted("a turn is running: wait for it or stop it (:CodexInterrupt) before you compact") ~= nil,
    ":CodexCompact refused while the turn runs")
  H.ok(noted("before you rewind") ~= nil, ":CodexRewind refused while the turn runs")

  -- <CR> in the chat buffer asks (vim.ui.input, stubbed) and sends the text.
  local cwin = chat.win()
  H.require(cwin ~= nil, "the chat window is open")
  api.nvim_set_current_win(cwin)
  input_answer = STEER
  vim.cmd.normal(vim.keycode("<CR>"))
  input_answer = nil
  local steered = nil
  H.ok(H.wait(15000, function()
    for _, item in ipairs(items_of(running)) do
      if item.type == "userMessage" and vim.json.encode(item.content):find(STEER, 1, true) then
        steered = item
        return true
      end
    end
    return false
  end, "the steer item"), "a userMessage item of the running turn holds the text")
  H.eq(state.turn_id, running, "... shown while that turn still runs")
  H.contains(chat.text(), "## You (steering)\n" .. STEER .. "\n", "the chat shows it as steering")
  local done = nil
  H.wait(60000, function()
    for _, p in ipairs(received("codex/turn/completed")) do
      if p.turn.id == running then
        done = p
        return true
      end
    end
    return false
  end, "the steered turn")
  H.require(done ~= nil, "the steered turn completed")
  H.eq(done.turn.status, "completed", "status")
  H.eq(#received("codex/turn/started"), started_before + 1, "no other turn was started")
  H.eq(kinds(items_of(running, "codex/item/started")), { "userMessage", "agentMessage", "userMessage", "agentMessage" },
    "items started: question, answer, steer, answer to the steer")
  H.contains(chat.text(), "## Codex\nAnswered the steer.\n", "the answer to the steer")
  H.ok(not noted("failed"), "no request failed", vim.inspect(notes))
  api.nvim_set_current_win(fwin)
end)

H.step("steering a turn that has just ended starts a new turn", function()
  -- As when the turn ends while the steer is on its way: the plugin still believes the
  -- last turn runs; the server answers that no turn is running.
  local last = received("codex/turn/completed")[#received("codex/turn/completed")].turn.id
  local count = #received("codex/turn/completed")
  state.turn_id = last
  codex.ask("QUESTION-7")
  local done = await_turn(count + 1)
  H.require(done ~= nil, "a new turn ran", vim.inspect(notes[#notes]))
  H.ok(done.turn.id ~= last, "another turn")
  H.eq(done.turn.status, "completed", "status")
  H.contains(chat.text(), "## You\nQUESTION-7\n", "the chat shows it as a question of its own")
  H.contains(chat.text(), "## Codex\nANSWER-7\n", "... and its answer")
  H.ok(not noted("codex/turn/steer failed"), "the refused steer is not reported", vim.inspect(notes))
end)

H.step("turns dropped outside the plugin (codex.revert) leave the chat too", function()
  local client = codex.get_client()
  local count = #received("codex/thread/reverted")
  local answered = false
  client:request("workspace/executeCommand", {
    command = "codex.revert",
    arguments = { { threadId = state.thread_id, numTurns = 1 } },
  }, function()
    answered = true
  end)
  H.ok(H.wait(15000, function()
    return answered and #received("codex/thread/reverted") > count
      and not chat.text():find("QUESTION-7", 1, true)
  end, "redraw"), "the chat was redrawn without the dropped turn", chat.text())
  H.contains(chat.text(), "## You (steering)\n" .. STEER .. "\n", "the turn before it stays")
end)

H.step("resuming shows the steering message in its turn", function()
  local resumed = nil
  codex.resume(state.thread_id, function(t)
    resumed = t
  end)
  H.require(H.wait(15000, function()
    return resumed ~= nil
  end, "resume"), "resumed")
  local text = chat.text()
  H.contains(text, "## You (steering)\n" .. STEER .. "\n", "history: the steer")
  H.contains(text, "── Context compacted automatically\n", "history: the automatic compaction")
  H.ok(not text:find("QUESTION-5", 1, true), "history: the rewound turn stays gone")
end)

H.step(":help for the context commands", function()
  local rt = tmp .. "/help-rt"
  vim.fn.mkdir(rt .. "/doc", "p")
  H.write_file(rt .. "/doc/codex.txt", H.read_file(vim.g.codex_test_repo .. "/nvim/doc/codex.txt"))
  local ok, err = pcall(vim.cmd, "helptags " .. vim.fn.fnameescape(rt .. "/doc"))
  H.ok(ok, "helptags without errors (no duplicate tags)", err)
  vim.opt.runtimepath:append(rt)
  local opened = {}
  for _, tag in ipairs({ ":CodexCompact", ":CodexRewind", "codex-context", "codex-steering" }) do
    opened[tag] = pcall(vim.cmd.help, tag) and vim.fn.expand("%:t") or false
    pcall(vim.cmd.helpclose)
  end
  H.eq(opened, { [":CodexCompact"] = "codex.txt", [":CodexRewind"] = "codex.txt",
    ["codex-context"] = "codex.txt", ["codex-steering"] = "codex.txt" }, ":help opens codex.txt at each tag")
end)

if vim.env.CODEX_TEST_DUMP then
  H.write_file(vim.env.CODEX_TEST_DUMP, chat.text())
end

H.finish()
