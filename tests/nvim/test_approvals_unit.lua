-- Unit checks of the approval prompt, the command and web search cards and the
-- :CodexRules view, in a real Neovim without a server (the notifications and the
-- showMessageRequest are handed to the plugin's own handlers). The end-to-end scenario
-- with the real server is tests/nvim/test_approvals_risk.lua.
local H = require("harness")

local codex = require("codex")
codex.setup({ autostart = false })
local approval = require("codex.approval")
local rules = require("codex.rules")
local chat = require("codex.chat")
local state = require("codex.state")

chat.get_buf()
local handlers = codex.client_handlers()
local function notify_plugin(method, params)
  handlers[method](nil, params, { client_id = 0 })
end

local selects = {}
local pick = nil -- function(items, opts) -> choice
vim.ui.select = function(items, opts, on_choice)
  local labels = vim.tbl_map(opts.format_item or tostring, items)
  table.insert(selects, { kind = opts.kind, prompt = opts.prompt, labels = labels, opts = opts })
  on_choice(pick and pick(items, opts) or nil)
end

local ACTIONS = {
  { title = "Run" },
  { title = "Run and don't ask again" },
  { title = "Decline" },
  { title = "Stop turn" },
  { title = 'Run and always allow "npm test"' },
}

H.step("a command prompt without risk", function()
  local info = approval.parse("Codex wants to run: ls -la\nin /ws\nReason: look around", ACTIONS)
  H.require(info ~= nil, "parsed")
  H.eq({ info.command, info.cwd, info.reason, info.risk, info.prefix },
    { "ls -la", "/ws", "look around", nil, "npm test" }, "command, cwd, reason, no risk, the prefix")
  H.eq(approval.parse("Codex wants to run: ls", { { title = "Run" } }).prefix, nil, "no prefix without the action")
  H.eq(approval.parse("Codex wants to run: mcp tools count {\"upto\":3}\nin /ws", ACTIONS), nil,
    "an MCP call is not a command prompt")
  H.eq(approval.parse("Codex wants to edit notes.txt", ACTIONS), nil, "a file change is not a command prompt")
end)

H.step("risk lines in the forms a server may write them", function()
  local cases = {
    -- codex-lsp's own form (server/approvals.py risk_line)
    { "Risk: high — deletes the build folder (destructive, data_loss)",
      { riskLevel = "high", description = "deletes the build folder", riskCategories = { "destructive", "data_loss" } } },
    { "Risk: low — lists the files (in the project)",
      { riskLevel = "low", description = "lists the files (in the project)", riskCategories = {} } },
    { "Risk: medium — runs the tests",
      { riskLevel = "medium", description = "runs the tests", riskCategories = {} } },
    { "Risk: high — Deletes the build folder. (categories: data loss, files)",
      { riskLevel = "high", description = "Deletes the build folder.", riskCategories = { "data loss", "files" } } },
    { "Risk: MEDIUM - Runs the tests\nRisk categories: network",
      { riskLevel = "medium", description = "Runs the tests", riskCategories = { "network" } } },
    { "Risk level: low\nDescription: Lists files.",
      { riskLevel = "low", description = "Lists files.", riskCategories = {} } },
    { "Risk: low: Lists files. Categories: none",
      { riskLevel = "low", description = "Lists files.", riskCategories = { "none" } } },
  }
  for i, c in ipairs(cases) do
    local info = approval.parse("Codex wants to run: x\nin /ws\n" .. c[1], {})
    H.eq(info and info.risk, c[2], "form " .. i)
  end
  local odd = approval.parse("Codex wants to run: x\nin /ws\nRisk: unknown, ask later\nDescription: hm", {})
  H.eq(odd.risk, nil, "no level, no risk")
  H.contains(approval.message(odd), "\nRisk: unknown, ask later\nDescription: hm", "words not understood are shown as they are")
end)

H.step("the prompt's text and labels", function()
  local info = approval.parse(
    "Codex wants to run: npm test\nin /ws\nReason: run the tests\nRisk: high — Deletes files\nRisk categories: data loss",
    ACTIONS)
  local text = approval.message(info)
  H.contains(text, "Codex wants to run: npm test\nin /ws\nRisk: HIGH — Deletes files\nRisk categories: data loss\n"
    .. "Reason: run the tests\n", "command, folder, risk, categories, reason")
  H.contains(text, 'Always allow "npm test": commands starting with it run without asking in /ws', "always allow explained")
  H.eq(approval.label(ACTIONS[5], info), 'Always allow "npm test" (run it; remember for this folder)', "the always label")
  H.eq(approval.label(ACTIONS[1], info), "Run", "Run stays Run")
  H.eq(approval.risk_line(info.risk), "high risk · Deletes files · categories: data loss", "the risk line")
end)

H.step("showMessageRequest: the card shows the risk while asked, the choice after", function()
  state.reset_thread("t1", nil)
  state.turn_id = "u1"
  notify_plugin("codex/item/started", {
    threadId = "t1", turnId = "u1",
    item = { type = "commandExecution", id = "c1", command = "npm test", cwd = "/ws", status = "inProgress" },
  })
  local during = nil
  pick = function(items, opts)
    during = chat.text()
    H.eq(opts.kind, "codex_approval", "the select's kind")
    H.eq(opts.codex and opts.codex.prefix, "npm test", "custom UIs get the parsed prompt")
    for _, it in ipairs(items) do
      if it.title:find("always allow", 1, true) then
        return it
      end
    end
  end
  local answer = nil
  local co = coroutine.create(function()
    answer = handlers["window/showMessageRequest"](nil, {
      type = 2,
      message = "Codex wants to run: npm test\nin /ws\nRisk: high — Deletes files\nRisk categories: data loss",
      actions = ACTIONS,
    }, { client_id = 0, method = "window/showMessageRequest" })
  end)
  coroutine.resume(co)
  H.require(H.wait(2000, function()
    return answer ~= nil
  end, "the answer"), "the handler answered")
  H.eq(answer, ACTIONS[5], "the answer is the always-allow action")
  H.contains(during or "", "### $ npm test  · waiting for approval\nrisk: high risk · Deletes files · categories: data loss\n"
    .. 'waiting for your approval (or always allow "npm test")\n', "the card while asked")
  notify_plugin("codex/item/completed", {
    threadId = "t1", turnId = "u1",
    item = { type = "commandExecution", id = "c1", command = "npm test", cwd = "/ws", status = "completed",
      aggregatedOutput = "ok\n", exitCode = 0, durationMs = 5 },
  })
  local text = chat.text()
  H.contains(text, "### $ npm test  · completed, exit 0, 5 ms\nrisk: high risk · Deletes files · categories: data loss\n"
    .. 'you: always allowed: "npm test" (remembered; :CodexRules)\n```text\nok\n```', "the card after")
  -- The level is highlighted in its color.
  local ns = vim.api.nvim_get_namespaces()["codex.chat"]
  local row = nil
  for i, l in ipairs(vim.api.nvim_buf_get_lines(chat.buf, 0, -1, false)) do
    if l:find("^risk: high risk") then
      row = i - 1
    end
  end
  local marks = vim.api.nvim_buf_get_extmarks(chat.buf, ns, { row, 0 }, { row, -1 }, { details = true })
  H.eq(marks[1] and marks[1][4].hl_group, "CodexRiskHigh", "the level's highlight")
end)

H.step("a dismissed prompt: the card says so", function()
  notify_plugin("codex/item/started", {
    threadId = "t1", turnId = "u1",
    item = { type = "commandExecution", id = "c2", command = "rm -rf build", cwd = "/ws", status = "inProgress" },
  })
  pick = nil
  local answer = nil
  local co = coroutine.create(function()
    answer = handlers["window/showMessageRequest"](nil, {
      type = 2, message = "Codex wants to run: rm -rf build\nin /ws", actions = { ACTIONS[1], ACTIONS[3] },
    }, { client_id = 0 })
  end)
  coroutine.resume(co)
  H.wait(2000, function()
    return answer ~= nil
  end, "the answer")
  H.eq(answer, vim.NIL, "dismissed: null")
  H.contains(chat.text(), "### $ rm -rf build  · running…\nyou: dismissed (declined)\n", "the card")
end)

H.step("web search cards", function()
  notify_plugin("codex/item/started", { threadId = "t1", turnId = "u1", item = { type = "webSearch", id = "w1" } })
  H.contains(chat.text(), "### 🔎 web search  · searching…\n", "in progress, no query yet")
  notify_plugin("codex/item/completed", {
    threadId = "t1", turnId = "u1", item = { type = "webSearch", id = "w1", query = "neovim 0.11 lsp" },
  })
  H.contains(chat.text(), "### 🔎 web search: neovim 0.11 lsp  · done\n", "done, with its query")
  local history = chat.item_entry({ type = "webSearch", id = "w2", query = "from history" })
  chat.add(history)
  H.contains(chat.text(), "### 🔎 web search: from history  · done\n", "a resumed thread's search")
end)

H.step(":CodexRules view lines", function()
  local config = { approvals = { rules = {
    { cwd = "/ws/a", prefix = { "npm", "test" } },
    { cwd = "/ws/b", prefix = { "cargo", "build" } },
    { cwd = "/ws/a", prefix = { "git", "log", "--format=%h %s" } },
  } } }
  local list = rules.from_config(config)
  H.eq(#list, 3, "three rules")
  H.eq(rules.from_config({ model = "x" }), nil, "no key: nil")
  H.eq(rules.from_config({ approvals = { rules = {} } }), {}, "an empty list")
  local lines, at = rules.render(list)
  local text = table.concat(lines, "\n")
  H.contains(text, "## /ws/a\n- npm test\n- git log '--format=%h %s'\n\n## /ws/b\n- cargo build\n", "grouped by folder")
  local rows = {}
  for lnum, i in pairs(at) do
    rows[lines[lnum]] = i
  end
  H.eq(rows, { ["- npm test"] = 1, ["- git log '--format=%h %s'"] = 3, ["- cargo build"] = 2 }, "each line's rule")
  H.contains(table.concat(rules.render({}), "\n"), "None yet", "the empty view")
  H.eq(rules.label(list[2]), "cargo build  · in /ws/b", "a rule's label")
end)

H.finish()
