-- Approvals that inform and remember, with the real server (configured by
-- tests/e2e/test_neovim_approvals_risk.py: `untrusted`, the risk assessment on). The prompt shows the risk and "Always allow"; choosing it runs the command and a
-- second command with the prefix runs without a prompt, also after a restart of the
-- server; :CodexRules shows the rules, `d`
-- removes one and `:CodexRules remove` (a picker) the other, after which the command is
-- asked about again.
--
-- Mock script (in this order):
--   1. shell touch one.txt, 2. the risk assessment (JSON), 3. message "Made one."
--   4. shell touch two.txt (remembered: no prompt, no assessment), 5. message "Made two."
--   (the server restarts) 6. shell touch four.txt (still remembered), 7. "Made four."
--   8. shell mkdir one.d, 9. the risk assessment (low, no categories), 10. "Made a folder."
--   11. shell touch three.txt, 12. the risk assessment, 13. message "Declined." (declined)
local H = require("harness")
local api = vim.api

local ws = assert(vim.env.CODEX_TEST_WS, "CODEX_TEST_WS not set")
local RISK_DESCRIPTION = assert(vim.env.CODEX_TEST_RISK_DESCRIPTION, "CODEX_TEST_RISK_DESCRIPTION not set")

local chat = require("codex.chat")
local prompts = {} -- every approval prompt: {kind, prompt, labels, titles, card, codex}
local answer = "always"
local rule_picks = {} -- the :CodexRules remove pickers: {prompt, labels}
vim.ui.select = function(items, opts, on_choice)
  if opts.kind == "codex_rule" then
    local labels = vim.tbl_map(opts.format_item, items)
    table.insert(rule_picks, { prompt = opts.prompt, labels = labels })
    for i, l in ipairs(labels) do
      if vim.startswith(l, "mkdir  · in ") then
        return on_choice(items[i])
      end
    end
    return on_choice(nil)
  end
  local labels = vim.tbl_map(opts.format_item or function(i)
    return i.title
  end, items)
  local titles = vim.tbl_map(function(i)
    return type(i) == "table" and i.title or tostring(i)
  end, items)
  table.insert(prompts, {
    kind = opts.kind,
    prompt = opts.prompt or "",
    labels = labels,
    titles = titles,
    card = chat.text(),
    codex = opts.codex,
  })
  for _, it in ipairs(items) do
    local title = type(it) == "table" and it.title or ""
    if (answer == "always" and title:find("^Run and always allow ")) or title == answer then
      return on_choice(it)
    end
  end
  on_choice(nil)
end

H.record_notes()
H.record_notifications()
local codex = require("codex")
codex.setup({})
local rules = require("codex.rules")

local function exists(path)
  return vim.uv.fs_stat(path) ~= nil
end

--- The lines of the card of `command` in the chat (from its head to the blank line).
local function card(command)
  local text = chat.text()
  local from = text:find("### $ " .. command .. "  · ", 1, true)
  if not from then
    return ""
  end
  local to = text:find("\n\n", from, true) or #text
  return text:sub(from, to)
end

H.step("an approval shows the risk and Always allow; choosing it runs the command", function()
  codex.ask("make one")
  local turn = H.await_turn(1)
  H.require(turn ~= nil, "turn 1 completed")
  H.eq(turn.turn.status, "completed", "turn 1 status")
  H.require(#prompts == 1, "one approval prompt", vim.inspect(prompts))
  local p = prompts[1]
  H.eq(p.kind, "codex_approval", "the plugin's prompt")
  H.contains(p.prompt, "Codex wants to run: touch one.txt\n", "the command")
  H.contains(p.prompt, "\nRisk: MEDIUM — " .. RISK_DESCRIPTION .. "\n", "the risk level and description")
  H.contains(p.prompt, "\nRisk categories: files\n", "the risk categories")
  H.contains(p.prompt, 'Always allow "touch": commands starting with it run without asking in ' .. ws,
    "what Always allow does")
  H.ok(vim.tbl_contains(p.titles, 'Run and always allow "touch"'), "the server proposes the prefix",
    vim.inspect(p.titles))
  H.ok(vim.tbl_contains(p.labels, 'Always allow "touch" (run it; remember for this folder)'),
    "the always-allow choice", vim.inspect(p.labels))
  H.eq(p.codex and p.codex.risk, { riskLevel = "medium", description = RISK_DESCRIPTION, riskCategories = { "files" } },
    "the parsed risk")
  H.contains(p.card, "### $ touch one.txt  · waiting for approval\nrisk: medium risk · " .. RISK_DESCRIPTION
    .. " · categories: files\n" .. 'waiting for your approval (or always allow "touch")\n', "the card while asked")
  H.ok(exists(ws .. "/one.txt"), "the command ran")
  H.contains(card("touch one.txt"), "### $ touch one.txt  · completed, exit 0", "the card's status")
  H.contains(card("touch one.txt"), "\nrisk: medium risk · " .. RISK_DESCRIPTION .. " · categories: files\n"
    .. 'you: always allowed: "touch" (remembered; :CodexRules)\n', "the card after: the risk and the choice")
  H.contains(chat.text(), "Made one.", "the answer")
end)

H.step("a second command with that prefix runs without a prompt", function()
  codex.ask("make two")
  local turn = H.await_turn(2)
  H.require(turn ~= nil, "turn 2 completed")
  H.eq(turn.turn.status, "completed", "turn 2 status")
  H.eq(#prompts, 1, "no new prompt")
  H.ok(exists(ws .. "/two.txt"), "the command ran")
  local c = card("touch two.txt")
  H.contains(c, "### $ touch two.txt  · completed, exit 0", "its card")
  H.ok(not c:find("\nyou: ", 1, true) and not c:find("\nrisk: ", 1, true), "nobody was asked", c)
end)

H.step("after a restart of the server it is still not asked", function()
  local old = codex.get_client()
  H.require(old ~= nil, "the client")
  old:stop()
  H.require(H.wait(10000, function()
    return old:is_stopped()
  end, "the server to stop"), "the server stopped")
  codex.new_thread() -- a new server and a new thread
  H.require(H.wait(20000, function()
    local c = codex.get_client()
    return c ~= nil and c.id ~= old.id and codex.state.thread_id ~= nil
  end, "the new server's thread"), "a new server and thread", vim.inspect({ H.notes, codex.get_client() and codex.get_client().id, old.id, codex.state.thread_id }))
  codex.ask("make four")
  local turn = H.await_turn(3)
  H.require(turn ~= nil, "turn 3 completed")
  H.eq(#prompts, 1, "no new prompt")
  H.ok(exists(ws .. "/four.txt"), "the command ran")
  H.contains(card("touch four.txt"), "### $ touch four.txt  · completed, exit 0", "its card")
end)

H.step("a second rule: mkdir, low risk without categories", function()
  codex.ask("make a folder")
  local turn = H.await_turn(4)
  H.require(turn ~= nil, "turn 4 completed")
  H.eq(#prompts, 2, "asked")
  local p = prompts[2] or {}
  H.contains(p.prompt or "", "\nRisk: LOW — " .. RISK_DESCRIPTION .. "\n", "low, no categories line")
  H.ok(not (p.prompt or ""):find("Risk categories", 1, true), "no categories", p.prompt)
  H.ok(vim.tbl_contains(p.labels or {}, 'Always allow "mkdir" (run it; remember for this folder)'), "always allow mkdir",
    vim.inspect(p.labels))
  H.ok(exists(ws .. "/one.d"), "the folder was made")
  H.contains(card("mkdir one.d"), "\nrisk: low risk · " .. RISK_DESCRIPTION .. "\n", "the card's risk, no categories")
end)

H.step(":CodexRules shows the rules; d removes one, the picker the other", function()
  vim.cmd("CodexRules")
  H.require(H.wait(15000, function()
    return rules.buf and H.line_of(rules.buf, "- touch") ~= nil
  end, "the rules in the view"), "the view lists the rules", rules.buf and H.buf_text(rules.buf))
  local text = H.buf_text(rules.buf)
  H.contains(text, "## " .. vim.fn.fnamemodify(ws, ":~") .. "\n- touch\n- mkdir\n", "under their folder")
  H.eq(api.nvim_buf_get_name(rules.buf), "codex://rules", "the view's buffer")
  H.eq(api.nvim_get_current_buf(), rules.buf, "the cursor is in the view")
  H.eq(rules.rules, { { cwd = ws, prefix = { "touch" } }, { cwd = ws, prefix = { "mkdir" } } },
    "codex/config/read approvals.rules")
  api.nvim_win_set_cursor(0, { H.line_of(rules.buf, "- touch"), 0 })
  api.nvim_feedkeys("d", "x", false)
  H.ok(H.wait(15000, function()
    return H.line_of(rules.buf, "- touch") == nil and H.line_of(rules.buf, "- mkdir") ~= nil
  end, "the removal"), "d removed the rule under the cursor", H.buf_text(rules.buf))
  H.ok(H.noted("codex: removed: touch  · in ") ~= nil, "a notice says what was removed")
  -- :CodexRules remove: a picker of the rules; the view follows.
  vim.cmd("CodexRules remove")
  H.ok(H.wait(15000, function()
    return H.buf_text(rules.buf):find("None yet", 1, true) ~= nil
  end, "the picked removal"), "the view shows no rule", H.buf_text(rules.buf))
  H.eq(rule_picks[1] and rule_picks[1].labels, { "mkdir  · in " .. vim.fn.fnamemodify(ws, ":~") },
    "the picker lists the rule that is left")
  -- The server's list is empty now.
  local after = nil
  rules.read(function(r)
    after = r
  end)
  H.wait(15000, function()
    return after ~= nil
  end, "codex/config/read")
  H.eq(after, {}, "no rule stored")
  vim.api.nvim_feedkeys("q", "x", false)
  H.eq(require("codex.util").buf_win(rules.buf), nil, "q closes the view")
end)

H.step("after the removal the command is asked about again", function()
  answer = "Decline"
  codex.ask("make three")
  local turn = H.await_turn(5)
  H.require(turn ~= nil, "turn 5 completed")
  H.eq(#prompts, 3, "asked again")
  H.contains(prompts[3] and prompts[3].prompt or "", "Codex wants to run: touch three.txt\n", "the command")
  H.ok(not exists(ws .. "/three.txt"), "declined: it did not run")
  H.contains(card("touch three.txt"), "### $ touch three.txt  · declined\nrisk: medium risk", "its card")
  H.contains(card("touch three.txt"), "\nyou: declined\n", "the choice")
end)

H.step(":checkhealth codex still works", function()
  vim.cmd("checkhealth codex")
  local text = table.concat(api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  H.contains(text, "codex.nvim: server", "the server section")
  H.ok(not text:find("Failed to run healthcheck", 1, true), "no failure", text)
  vim.cmd("tabclose")
end)

H.step(":help :CodexRules", function()
  local ok, err = pcall(vim.cmd, "help :CodexRules")
  H.ok(ok, ":help :CodexRules", err)
  if ok then
    vim.cmd("helpclose")
  end
end)

H.finish()
