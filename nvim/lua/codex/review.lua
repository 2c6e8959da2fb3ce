-- Code review (:CodexReview): targets, completion, and what happens when a review ends.
--
-- The server runs the review as a turn (`codex/review/start`); its findings arrive as the
-- `exitedReviewMode` item's `output` and as diagnostics (source "codex review", one per
-- finding, published before the turn completes). When the review turn completes, the
-- quickfix list is filled from those diagnostics (see :help codex-code-review).
local config = require("codex.config")
local state = require("codex.state")

local api = vim.api
local M = {}

M.SOURCE = "codex review"
M.QF_TITLE = "Codex review"
M.SUBCOMMANDS = { "uncommitted", "branch", "commit", "custom" }

--- Review turns seen (turnId -> {threadId, description, exited, output, text}).
M.turns = {}

local SEVERITY_TYPE = { "E", "W", "I", "N" }
local PRIORITY_TYPE = { [0] = "E", [1] = "E", [2] = "W", [3] = "I" }

local util = require("codex.util")
local nonnull, notify = util.nonnull, util.notify

--- `git -C cwd args...`: its output lines, or nil when it fails (5 s at most).
local function git(cwd, args)
  local ok, res = pcall(function()
    return vim.system(vim.list_extend({ "git", "-C", cwd }, args), { text = true }):wait(5000)
  end)
  if not ok or res.code ~= 0 then
    return nil
  end
  return vim.split(vim.trim(res.stdout or ""), "\n", { trimempty = true })
end

--- The directory reviews are about: the active thread's cwd, else the workspace root.
function M.cwd()
  local thread = state.thread
  if type(thread) == "table" and type(thread.cwd) == "string" and thread.cwd ~= "" then
    return thread.cwd
  end
  return require("codex").root_dir(api.nvim_get_current_buf())
end

local USAGE = ":CodexReview [uncommitted | branch <name> | commit <sha> [title] | custom <instructions>]"

--- The ReviewTarget for the arguments of :CodexReview, or nil and an error message.
---@param args string
---@param cwd? string where `git` looks up a commit's title
---@return table|nil target, string|nil err
function M.parse(args, cwd)
  args = vim.trim(args or "")
  local sub, rest = args:match("^(%S+)%s*(.-)$")
  if not sub or sub == "uncommitted" then
    if rest and rest ~= "" then
      return nil, "uncommitted takes no argument; usage: " .. USAGE
    end
    return { type = "uncommittedChanges" }
  elseif sub == "branch" then
    if rest == "" or rest:find("%s") then
      return nil, "usage: :CodexReview branch <name>"
    end
    return { type = "baseBranch", branch = rest }
  elseif sub == "commit" then
    local sha, title = rest:match("^(%S+)%s*(.-)$")
    if not sha then
      return nil, "usage: :CodexReview commit <sha> [title]"
    end
    if title == "" then
      local subject = git(cwd or M.cwd(), { "log", "-1", "--format=%s", sha, "--" })
      title = subject and subject[1] or nil
    end
    return { type = "commit", sha = sha, title = title or vim.NIL }
  elseif sub == "custom" then
    if rest == "" then
      return nil, "usage: :CodexReview custom <instructions>"
    end
    return { type = "custom", instructions = rest }
  end
  return nil, string.format("unknown review target %q; usage: %s", sub, USAGE)
end

local function starting_with(list, prefix)
  return vim.tbl_filter(function(s)
    return vim.startswith(s, prefix)
  end, list)
end

--- Completion for :CodexReview: the target, then local branches or recent commits.
function M.complete(arglead, cmdline, cursorpos)
  local before = cmdline:sub(1, cursorpos or #cmdline)
  local args = before:match("^%s*%S+%s+(.*)$") or ""
  local words = vim.split(args, "%s+")
  if #words <= 1 then
    return starting_with(M.SUBCOMMANDS, arglead)
  end
  if #words == 2 and words[1] == "branch" then
    return starting_with(git(M.cwd(), { "for-each-ref", "--format=%(refname:short)", "refs/heads/" }) or {}, arglead)
  end
  if #words == 2 and words[1] == "commit" then
    return starting_with(git(M.cwd(), { "log", "--format=%h", "-n", "30" }) or {}, arglead)
  end
  return {}
end

-- ---------------------------------------------------------------------------------------
-- Findings

--- The priority (0-3) of a diagnostic ("P1" code), or nil.
local function diagnostic_priority(d)
  local n = tonumber(tostring(d.code or ""):match("^P(%d)$"))
  return n
end

local function lsp_data(d)
  local lsp = type(d.user_data) == "table" and d.user_data.lsp or nil
  local data = type(lsp) == "table" and nonnull(lsp.data) or nil
  return type(data) == "table" and data or {}
end

local function first_line(text)
  return (tostring(text or ""):match("^[^\n]*"))
end

--- "[P1] title"
local function badge(priority, title)
  return string.format("[P%s] %s", priority ~= nil and tostring(priority) or "?", title)
end
M.badge = badge

--- Quickfix items for a finished review: its "codex review" diagnostics (this turn's when
--- the diagnostics name their turn), plus any finding of `output` without a diagnostic.
--- Sorted by priority, then file, then line.
---@param turn_id string|nil
---@param output table|nil ReviewOutput
function M.quickfix_items(turn_id, output)
  local findings = type(output) == "table" and output.findings or {}
  local items, seen, indexed = {}, {}, true
  for _, d in ipairs(vim.diagnostic.get(nil)) do
    local data = lsp_data(d)
    if d.source == M.SOURCE and (data.turnId == nil or turn_id == nil or data.turnId == turn_id) then
      local index = tonumber(data.findingIndex)
      local finding = index and findings[index + 1] or nil
      if index then
        seen[index] = true
      else
        indexed = false
      end
      local priority = diagnostic_priority(d)
      if priority == nil and finding then
        priority = finding.priority
      end
      local end_lnum = d.end_lnum or d.lnum
      if end_lnum > d.lnum and (d.end_col or 0) == 0 then
        end_lnum = end_lnum - 1 -- the range ends at the start of the next line
      end
      table.insert(items, {
        bufnr = d.bufnr,
        lnum = d.lnum + 1,
        col = (d.col or 0) + 1,
        end_lnum = end_lnum + 1,
        text = badge(priority, finding and finding.title or first_line(d.message)),
        type = SEVERITY_TYPE[d.severity] or "E",
        priority = priority or 9,
      })
    end
  end
  if indexed then
    for i, f in ipairs(findings) do
      local loc = type(f.codeLocation) == "table" and f.codeLocation or {}
      local range = type(loc.lineRange) == "table" and loc.lineRange or {}
      if not seen[i - 1] and type(loc.absoluteFilePath) == "string" then
        table.insert(items, {
          filename = loc.absoluteFilePath,
          lnum = tonumber(range.start) or 1,
          end_lnum = tonumber(range["end"]) or tonumber(range.start) or 1,
          col = 1,
          text = badge(f.priority, f.title),
          type = PRIORITY_TYPE[f.priority] or "E",
          priority = tonumber(f.priority) or 9,
        })
      end
    end
  end
  local function name(it)
    return it.filename or api.nvim_buf_get_name(it.bufnr)
  end
  table.sort(items, function(a, b)
    if a.priority ~= b.priority then
      return a.priority < b.priority
    end
    local na, nb = name(a), name(b)
    if na ~= nb then
      return na < nb
    end
    return a.lnum < b.lnum
  end)
  for _, it in ipairs(items) do
    it.user_data = { priority = it.priority }
    it.priority = nil
  end
  return items
end

--- Put `items` in the quickfix list titled "Codex review" (replacing it when it is the
--- current list, else as a new list).
function M.set_quickfix(items)
  local action = vim.fn.getqflist({ title = 0 }).title == M.QF_TITLE and "r" or " "
  vim.fn.setqflist({}, action, { title = M.QF_TITLE, items = items })
end

--- Open the quickfix window without taking the cursor away from where it is.
local function open_quickfix()
  local win = api.nvim_get_current_win()
  vim.cmd("botright copen")
  if api.nvim_win_is_valid(win) then
    api.nvim_set_current_win(win)
  end
end

--- "2 findings (1 P1, 1 P3)"
function M.count_text(findings)
  local n = #findings
  if n == 0 then
    return "no findings"
  end
  local per = {}
  for _, f in ipairs(findings) do
    local p = tonumber(f.priority) or -1
    per[p] = (per[p] or 0) + 1
  end
  local parts = {}
  for p = 0, 3 do
    if per[p] then
      table.insert(parts, string.format("%d P%d", per[p], p))
    end
  end
  return string.format("%d finding%s (%s)", n, n == 1 and "" or "s", table.concat(parts, ", "))
end

--- A one-line summary of a ReviewOutput: "2 findings (1 P1, 1 P3) · patch is incorrect".
function M.summary(output)
  local text = M.count_text(output.findings or {})
  local verdict = nonnull(output.overallCorrectness)
  if type(verdict) == "string" and verdict ~= "" then
    text = text .. " · " .. verdict
  end
  return text
end

--- The review turn `turn` completed: fill the quickfix list and say how it went.
function M.finish(rec, turn)
  if turn.status ~= "completed" or not rec.exited then
    notify(string.format("review %s", tostring(turn.status)), vim.log.levels.WARN)
    return
  end
  local output = rec.output
  if not output then
    notify("review done; the reviewer gave no structured findings (its text is in the chat)",
      vim.log.levels.WARN)
    return
  end
  local items = M.quickfix_items(turn.id, output)
  M.set_quickfix(items)
  if #items > 0 and config.options.code_review.open_quickfix then
    open_quickfix()
  end
  notify("review: " .. M.summary(output))
end

-- ---------------------------------------------------------------------------------------
-- Notification hooks (every review turn of this client, whichever thread it belongs to)

local finished = {} ---@type table<string, boolean>  review turns already completed

local function track(turn_id, thread_id)
  local rec = M.turns[turn_id]
  if not rec then
    if finished[turn_id] then
      return {} -- a late answer to codex/review/start: the turn is over
    end
    rec = { threadId = thread_id }
    M.turns[turn_id] = rec
    state.review_turns[turn_id] = true
    state.recompute()
  end
  return rec
end
M.track = track

local function on_item(params)
  local item = params.item or {}
  if not params.turnId then
    return
  end
  if item.type == "enteredReviewMode" then
    track(params.turnId, params.threadId).description = item.review
  elseif item.type == "exitedReviewMode" then
    local rec = track(params.turnId, params.threadId)
    rec.text = item.review
    if params.completed then
      rec.exited = true
      rec.output = nonnull(item.output)
    end
  end
end

--- Hooks run by the notification handlers (after the chat was updated).
M.hooks = {
  ["codex/item/started"] = function(params)
    on_item({ item = params.item, turnId = params.turnId, threadId = params.threadId })
  end,
  ["codex/item/completed"] = function(params)
    on_item({ item = params.item, turnId = params.turnId, threadId = params.threadId, completed = true })
  end,
  ["codex/turn/completed"] = function(params)
    local turn = params.turn or {}
    local rec = turn.id and M.turns[turn.id]
    if not rec then
      return
    end
    M.turns[turn.id] = nil
    finished[turn.id] = true
    state.review_turns[turn.id] = nil
    M.finish(rec, turn)
  end,
}

--- Forget the "Codex review" quickfix list (emptied, its window closed when current).
function M.clear_quickfix()
  if vim.fn.getqflist({ title = 0 }).title == M.QF_TITLE then
    vim.fn.setqflist({}, "r", { title = M.QF_TITLE, items = {} })
    vim.cmd("cclose")
  end
end

return M
