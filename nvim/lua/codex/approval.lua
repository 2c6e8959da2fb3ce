-- The approval prompt of a command. codex-lsp asks this plugin (a client without
-- `experimental.codex.approvals`) with `window/showMessageRequest`: the message names the
-- command, its directory, the model's reason and, when the server's risk assessment is on
-- (`experimental_sandbox_command_assessment`), the risk; the actions are Run, Run and
-- don't ask again, Decline, Stop turn and, when the server proposes a remembered rule,
-- `Run and always allow "<prefix>"` (the server then stores the prefix for the thread's
-- folder: later commands starting with it run without asking; see :CodexRules).
--
-- The plugin reads that prompt back into a table (`M.parse`), asks with vim.ui.select
-- (kind "codex_approval") in words of its own, and puts what it learned on the command's
-- chat card: the risk while it waits and after, and the choice made.
local util = require("codex.util")

local M = {}

local LEVELS = { low = true, medium = true, high = true }
local ALWAYS = '^Run and always allow "(.*)"$'

--- The labels shown for the server's action titles (the answer is still the action).
local LABELS = {
  ["Run"] = "Run",
  ["Run and don't ask again"] = "Run and don't ask again (this command in this thread, while the server runs)",
  ["Decline"] = "Decline (the agent is told and goes on)",
  ["Stop turn"] = "Stop the turn",
}

local function trim(s)
  return vim.trim(tostring(s or ""))
end

local function split_list(text)
  local out = {}
  for _, part in ipairs(vim.split(text or "", "[,;]")) do
    part = trim(part):gsub("%.$", "")
    if part ~= "" then
      table.insert(out, part)
    end
  end
  return out
end

local SEPARATORS = { "—", "–", "-", ":", "·", ",", ";", "|", "." }

--- `s` without the separators (and spaces) at its start (`at_end` false) or its end.
--- (Plain strings: "—" is several bytes, so no character class.) A final "." stays.
local function strip(s, at_end)
  local changed = true
  while changed do
    changed = false
    s = vim.trim(s)
    for _, sep in ipairs(SEPARATORS) do
      if at_end and sep ~= "." and vim.endswith(s, sep) then
        s, changed = s:sub(1, #s - #sep), true
      elseif not at_end and vim.startswith(s, sep) then
        s, changed = s:sub(#sep + 1), true
      end
    end
  end
  return s
end

--- Split "high — deletes files (destructive, data_loss)" (codex-lsp's form) or the like
--- ("HIGH: Deletes files. Categories: data loss") into the level, the description and the
--- categories; nil when it names no level.
function M.parse_risk_text(text)
  text = trim(text)
  local word, rest = text:match("^%(?(%a+)%)?(.*)$")
  local level = word and word:lower()
  if not (level and LEVELS[level]) then
    -- "Deletes files (high risk)" / "… risk: high"
    for _, l in ipairs({ "high", "medium", "low" }) do
      local s, e = text:lower():find("%f[%a]" .. l .. "%f[%A]")
      if s then
        level, rest = l, text:sub(1, s - 1) .. text:sub(e + 1)
        break
      end
    end
    if not LEVELS[level or ""] then
      return nil
    end
  end
  rest = strip((trim(rest):gsub("^%(?[Rr]isk%)?%f[%A]", "")), false)
  local categories = {}
  local before, list, after = rest:match("^(.-)%s*[%(%[]%s*[Cc]ategor[%a]*:?%s*([^%)%]]*)[%)%]](.*)$")
  if not before then
    before, list = rest:match("^(.-)%s*[Cc]ategor[%a]*:%s*(.*)$")
    after = ""
  end
  if not before then
    -- codex-lsp's form: "Risk: high — deletes files (destructive, data_loss)": a final
    -- parenthesis of single words is the categories.
    local b, l = rest:match("^(.-)%s*%(([^%(%)]*)%)$")
    local words = b and split_list(l) or {}
    local all_words = #words > 0
    for _, w in ipairs(words) do
      all_words = all_words and w:match("^[%w_%-]+$") ~= nil
    end
    if all_words then
      before, list, after = b, l, ""
    end
  end
  if before then
    categories = split_list(list)
    rest = strip(before, true) .. " " .. strip(after or "", false)
  end
  rest = strip((rest:gsub("%(%s*[Rr]isk%s*%)", "")), true)
  return { riskLevel = level, description = rest, riskCategories = categories }
end

--- A command prompt of codex-lsp as a table, or nil when `message` asks about anything
--- else (a file change, an MCP tool call):
--- `{command, cwd, reason, risk = {riskLevel, description, riskCategories} | nil,
---   prefix = "npm test" | nil, lines = {the server's other lines}}`.
function M.parse(message, actions)
  if type(message) ~= "string" then
    return nil
  end
  local lines = vim.split(message, "\n", { plain = true })
  local command = (lines[1] or ""):match("^Codex wants to run: (.*)$")
  if not command or command:match("^mcp %S+ %S+ ") then
    return nil
  end
  local info = { command = command, lines = {} }
  local risk, description, categories = nil, nil, nil
  local risk_lines = {} -- the server's own words, shown as they are when not understood
  for i = 2, #lines do
    local l = lines[i]
    local key, value = l:match("^%s*([%a][%a ]-):%s*(.*)$")
    local k = key and key:lower() or ""
    if not info.cwd and i == 2 and l:match("^in ") then
      info.cwd = l:sub(4)
    elseif k == "reason" then
      info.reason = value
    elseif k:match("categor") then
      categories = split_list(value)
      table.insert(risk_lines, l)
    elseif k:match("risk") and (k:match("level") or k == "risk" or k:match("assessment")) then
      risk = risk or M.parse_risk_text(value)
      table.insert(risk_lines, l)
    elseif k == "description" or k == "assessment" or k == "summary" or k == "what it does" then
      description = value
      table.insert(risk_lines, l)
    elseif l ~= "" then
      table.insert(info.lines, l)
    end
  end
  if risk then
    if description and risk.description == "" then
      risk.description = description
    end
    if categories and #risk.riskCategories == 0 then
      risk.riskCategories = categories
    end
    info.risk = risk
  else
    vim.list_extend(info.lines, risk_lines)
  end
  for _, a in ipairs(type(actions) == "table" and actions or {}) do
    local prefix = type(a) == "table" and type(a.title) == "string" and a.title:match(ALWAYS)
    if prefix then
      info.prefix = prefix
      info.always_title = a.title
    end
  end
  return info
end

--- "high risk · Deletes files · categories: data loss, network" (nil without a risk).
function M.risk_line(risk)
  risk = util.nonnull(risk)
  if type(risk) ~= "table" then
    return nil
  end
  local parts = { tostring(risk.riskLevel or "?") .. " risk" }
  local description = util.nonnull(risk.description)
  if type(description) == "string" and description ~= "" then
    table.insert(parts, (description:gsub("%s*\n%s*", " ")))
  end
  local categories = util.nonnull(risk.riskCategories)
  if type(categories) == "table" and #categories > 0 then
    table.insert(parts, "categories: " .. table.concat(categories, ", "))
  end
  return table.concat(parts, " · ")
end

--- The highlight group of a risk level.
function M.risk_group(level)
  return ({ low = "CodexRiskLow", medium = "CodexRiskMedium", high = "CodexRiskHigh" })[level]
    or "CodexRiskMedium"
end

--- The prompt's text: the command, where, the risk (level in capitals first), the
--- model's reason, what "Always allow" does.
function M.message(info)
  local lines = { "Codex wants to run: " .. info.command }
  if info.cwd then
    table.insert(lines, "in " .. info.cwd)
  end
  if info.risk then
    local r = info.risk
    local line = "Risk: " .. tostring(r.riskLevel):upper()
    if r.description ~= "" then
      line = line .. " — " .. r.description
    end
    table.insert(lines, line)
    if #r.riskCategories > 0 then
      table.insert(lines, "Risk categories: " .. table.concat(r.riskCategories, ", "))
    end
  end
  if info.reason then
    table.insert(lines, "Reason: " .. info.reason)
  end
  vim.list_extend(lines, info.lines)
  if info.prefix then
    table.insert(lines, string.format('Always allow "%s": commands starting with it run without asking in %s'
      .. " from now on (sandboxed; :CodexRules lists them)", info.prefix, info.cwd or "this folder"))
  end
  return table.concat(lines, "\n")
end

--- The label of an action in the prompt.
function M.label(action, info)
  local title = type(action) == "table" and action.title or tostring(action)
  if info and title == info.always_title then
    return string.format('Always allow "%s" (run it; remember for this folder)', info.prefix)
  end
  return LABELS[title] or title
end

--- What the card says of a choice.
local CHOSEN = {
  ["Run"] = "approved",
  ["Run and don't ask again"] = "approved (not asked again this session)",
  ["Decline"] = "declined",
  ["Stop turn"] = "declined, turn stopped",
}

function M.chosen_words(action, info)
  local title = type(action) == "table" and action.title or nil
  if title == nil then
    return "dismissed (declined)"
  end
  if info and title == info.always_title then
    return string.format('always allowed: "%s" (remembered; :CodexRules)', info.prefix)
  end
  return CHOSEN[title] or title
end

-- ---------------------------------------------------------------------------------------
-- The card

--- The chat entry of the command being asked about: the newest running commandExecution
--- card of the active thread with this command.
local function card_of(info)
  local chat = require("codex.chat")
  for i = #chat.entries, 1, -1 do
    local e = chat.entries[i]
    -- (A command asked about again, e.g. to run it outside the sandbox after a denial,
    -- shows the second question.)
    if e.kind == "commandExecution" and (e.status or "inProgress") == "inProgress" and e.command == info.command
      and not (e.approval and e.approval.waiting) then
      return e
    end
  end
  return nil
end

--- Ask about a command: `cb(action | nil)`; the card shows the risk while the user
--- decides and the choice after.
function M.ask(actions, info, cb)
  local chat = require("codex.chat")
  local e = card_of(info)
  local approval = { risk = info.risk, prefix = info.prefix, waiting = true }
  if e then
    chat.update(e, { approval = approval })
  end
  vim.ui.select(actions, {
    prompt = M.message(info) .. "\n",
    kind = "codex_approval",
    format_item = function(a)
      return M.label(a, info)
    end,
    codex = info, -- for custom UIs: the parsed prompt (command, cwd, risk, prefix)
  }, function(choice)
    approval.waiting = false
    approval.chosen = M.chosen_words(choice, info)
    if e then
      chat.update(e)
    end
    cb(choice)
  end)
end

--- The lines a command card adds for its approval (after the head line), with highlights
--- relative to the card: `lines, hl`.
function M.card_lines(approval, first_row)
  local lines, hl = {}, {}
  if type(approval) ~= "table" then
    return lines, hl
  end
  local risk = approval.risk
  local line = M.risk_line(risk)
  if line then
    local text = "risk: " .. line
    table.insert(lines, text)
    local level_end = #"risk: " + #tostring(risk.riskLevel or "?") + #" risk"
    table.insert(hl, { first_row + #lines - 1, 0, level_end, M.risk_group(risk.riskLevel) })
  end
  if approval.waiting then
    local text = "waiting for your approval"
    if approval.prefix then
      text = text .. string.format(' (or always allow "%s")', approval.prefix)
    end
    table.insert(lines, text)
    table.insert(hl, { first_row + #lines - 1, 0, #text, "CodexCardPartial" })
  elseif approval.chosen then
    table.insert(lines, "you: " .. approval.chosen)
  end
  return lines, hl
end

return M
