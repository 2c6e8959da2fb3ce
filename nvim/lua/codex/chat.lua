-- The chat buffer: a transcript of the active thread, rendered from a list of entries.
--
-- Entries are appended as items arrive; streaming deltas change the last entries only, so a
-- render rewrites the buffer from the first changed entry to the end (batched every few ms).
local cards = require("codex.cards")
local config = require("codex.config")

local api = vim.api
local M = {}

local ns = api.nvim_create_namespace("codex.chat")

--- The highlight groups of the chat and the review (all `default`: a colorscheme or your
--- config may set them).
local HIGHLIGHTS = {
  CodexCardApplied = "DiagnosticOk",
  CodexCardPartial = "DiagnosticWarn",
  CodexCardUndone = "DiagnosticInfo",
  CodexCardDeclined = "DiagnosticError",
  CodexDiffAdd = "Added",
  CodexDiffDelete = "Removed",
  CodexDiffHunk = "Special",
  CodexReviewTitle = "Title",
  CodexReviewKeys = "Comment",
  CodexReviewAccepted = "DiagnosticOk",
  CodexReviewRejected = "DiagnosticError",
  CodexReviewPending = "DiagnosticWarn",
  CodexInputHint = "Comment",
  CodexRiskLow = "DiagnosticOk",
  CodexRiskMedium = "DiagnosticWarn",
  CodexRiskHigh = "DiagnosticError",
}
for group, link in pairs(HIGHLIGHTS) do
  api.nvim_set_hl(0, group, { link = link, default = true })
end

M.entries = {} ---@type table[]
M.by_id = {} ---@type table<string, table>
M.buf = nil ---@type integer|nil

local dirty_from = nil ---@type integer|nil
local timer = nil
local fold_levels = {} ---@type table<integer, string>
local BATCH_MS = 16

local function split(text)
  return vim.split(text or "", "\n", { plain = true })
end

local function fence(lines, body, lang)
  table.insert(lines, "```" .. (lang or ""))
  for _, l in ipairs(body) do
    table.insert(lines, l)
  end
  table.insert(lines, "```")
end

local function command_text(command)
  if type(command) == "table" then
    return table.concat(command, " ")
  end
  return tostring(command or "")
end

local function status_text(e)
  local s = e.status or "inProgress"
  if s == "inProgress" then
    if e.kind == "commandExecution" then
      return (e.approval and e.approval.waiting) and "waiting for approval" or "running…"
    end
    return "in progress…"
  end
  if e.kind == "commandExecution" and s ~= "declined" then
    local parts = { s }
    if e.exitCode ~= nil and e.exitCode ~= vim.NIL then
      table.insert(parts, "exit " .. tostring(e.exitCode))
    end
    if type(e.durationMs) == "number" then
      table.insert(parts, string.format("%d ms", e.durationMs))
    end
    return table.concat(parts, ", ")
  end
  return s
end

local function input_lines(content)
  local lines = {}
  for _, input in ipairs(content or {}) do
    if input.type == "text" then
      vim.list_extend(lines, split(input.text))
    elseif input.type == "document" then
      local where = vim.fn.fnamemodify(vim.uri_to_fname(input.uri), ":~:.")
      local r = input.range
      if type(r) == "table" then
        where = string.format("%s:%d-%d", where, r.start.line + 1, r["end"].line + 1)
        table.insert(lines, "> selection: " .. where)
      else
        table.insert(lines, "> buffer: " .. where)
      end
    elseif input.type == "mention" then
      table.insert(lines, "> @" .. tostring(input.name or input.path))
    else
      table.insert(lines, "> " .. input.type .. ": " .. tostring(input.url or input.path or ""))
    end
  end
  return lines
end

local renderers = {}

function renderers.userMessage(e)
  -- A message sent while the turn ran (codex/turn/steer) belongs to that turn.
  local lines = { e.steer and "## You (steering)" or "## You" }
  vim.list_extend(lines, input_lines(e.content))
  table.insert(lines, "")
  return lines
end

function renderers.agentMessage(e)
  local lines = { "## Codex" }
  vim.list_extend(lines, split(e.text))
  table.insert(lines, "")
  return lines
end

function renderers.reasoning(e)
  local lines = { "▸ Reasoning" }
  for i, part in ipairs(e.summary or {}) do
    if i > 1 then
      table.insert(lines, "")
    end
    for _, l in ipairs(split(part)) do
      table.insert(lines, "  " .. l)
    end
  end
  table.insert(lines, "")
  return lines
end

function renderers.commandExecution(e)
  local lines = { string.format("### $ %s  · %s", command_text(e.command), status_text(e)) }
  -- What the approval prompt said (the risk) and what was chosen (see codex.approval).
  local extra, hl = require("codex.approval").card_lines(e.approval, 1)
  vim.list_extend(lines, extra)
  e.hl = #hl > 0 and hl or nil
  local out = e.output or ""
  if out ~= "" then
    local body = split(out:gsub("\n$", ""))
    local max = config.options.chat.max_output_lines or 200
    if #body > max then
      local hidden = #body - max
      body = vim.list_slice(body, hidden + 1)
      table.insert(body, 1, string.format("… (%d earlier lines)", hidden))
    end
    fence(lines, body, "text")
  end
  table.insert(lines, "")
  return lines
end

function renderers.fileChange(e)
  local paths = {}
  for _, c in ipairs(e.changes or {}) do
    local kind = type(c.kind) == "table" and c.kind.type or tostring(c.kind)
    table.insert(paths, string.format("%s (%s)", vim.fn.fnamemodify(c.path, ":~:."), kind))
  end
  local head = string.format("### ✎ %s  · ", table.concat(paths, ", "))
  local status, group = status_text(e), nil
  if e.status == "completed" then
    -- What the files hold now (see codex.cards).
    if e.files_state == nil then
      cards.refresh(e)
    end
    local words
    words, group = cards.describe(e)
    status = "completed · " .. words
  elseif e.status == "declined" or e.status == "failed" then
    group = "CodexCardDeclined"
  elseif e.reviewing then
    status = "waiting for your review (diff tab: :CodexHunks)"
    group = "CodexCardPartial"
  end
  local lines = { head .. status }
  -- Highlight what the files hold (the words after "completed · ").
  local from = #head + (e.status == "completed" and #"completed · " or 0)
  e.hl = group and { { 0, from, #lines[1], group } } or nil
  for _, c in ipairs(e.changes or {}) do
    if type(c.diff) == "string" and c.diff ~= "" then
      fence(lines, split(c.diff:gsub("\n$", "")), "diff")
    end
  end
  table.insert(lines, "")
  return lines
end

--- The text of an MCP tool result: its text parts, a line per image or resource, else
--- the structured content as JSON.
local function mcp_result_text(result)
  if type(result) ~= "table" then
    return ""
  end
  local parts = {}
  for _, c in ipairs(type(result.content) == "table" and result.content or {}) do
    if c.type == "text" then
      table.insert(parts, tostring(c.text or ""))
    elseif c.type == "image" or c.type == "audio" then
      table.insert(parts, string.format("[%s %s]", c.type, tostring(c.mimeType or "")))
    elseif c.type == "resource_link" or c.type == "resource" then
      local r = type(c.resource) == "table" and c.resource or c
      table.insert(parts, string.format("[resource %s]", tostring(r.uri or r.name or "")))
    end
  end
  local structured = result.structuredContent
  if #parts == 0 and structured ~= nil and structured ~= vim.NIL then
    table.insert(parts, vim.json.encode(structured))
  end
  return table.concat(parts, "\n")
end

local MCP_GROUPS = { completed = "CodexCardApplied", failed = "CodexCardDeclined", declined = "CodexCardDeclined" }

function renderers.mcpToolCall(e)
  local status = e.status or "inProgress"
  local words = status == "inProgress" and "running…" or status
  if status ~= "inProgress" and type(e.durationMs) == "number" then
    words = words .. string.format(", %d ms", e.durationMs)
  end
  local head = string.format("### ⚙ %s.%s  · ", e.server or "?", e.tool or "?")
  local lines = { head .. words }
  e.hl = MCP_GROUPS[status] and { { 0, #head, #lines[1], MCP_GROUPS[status] } } or nil
  local args = require("codex.mcp").arguments_summary(e.arguments)
  if args ~= "" then
    table.insert(lines, "arguments: " .. args)
  end
  for _, p in ipairs(e.progress or {}) do
    table.insert(lines, "… " .. (p:gsub("\n", " ")))
  end
  local err = e.error ~= vim.NIL and type(e.error) == "table" and e.error.message or nil
  if err then
    table.insert(lines, "error: " .. tostring(err):gsub("\n", " "))
  end
  local out = mcp_result_text(e.result)
  if out ~= "" then
    local body = split(out:gsub("\n$", ""))
    local max = config.options.chat.max_output_lines or 200
    if #body > max then
      local hidden = #body - max
      body = vim.list_slice(body, 1, max)
      table.insert(body, string.format("… (%d more lines)", hidden))
    end
    fence(lines, body, "text")
  end
  table.insert(lines, "")
  return lines
end

function renderers.webSearch(e)
  local query = type(e.query) == "string" and e.query ~= "" and e.query or nil
  if e.status == "inProgress" then
    return { "### 🔎 web search" .. (query and (": " .. query) or "") .. "  · searching…", "" }
  end
  local head = "### 🔎 web search: " .. (query or "?") .. "  · "
  e.hl = { { 0, #head, #head + #"done", "CodexCardApplied" } }
  return { head .. "done", "" }
end

function renderers.contextCompaction(e)
  if e.status == "inProgress" then
    return { "── Compacting the conversation…", "" }
  elseif e.status == "failed" then
    return { "── Context compaction failed", "" }
  end
  local head = "── Context compacted" .. (e.auto and " automatically" or "")
  if e.before and e.after then
    head = head .. string.format(" · context %d%% → %d%%", e.before, e.after)
  end
  return {
    head,
    "_The model now gets a summary of the conversation instead of its older messages._",
    "",
  }
end

function renderers.enteredReviewMode(e)
  return { "### Reviewing: " .. (split(e.review)[1] or ""), "" }
end

local function finding_lines(f)
  local loc = type(f.codeLocation) == "table" and f.codeLocation or {}
  local range = type(loc.lineRange) == "table" and loc.lineRange or {}
  local where = vim.fn.fnamemodify(tostring(loc.absoluteFilePath or "?"), ":~:.")
  if type(range.start) == "number" then
    where = where .. ":" .. range.start
    if type(range["end"]) == "number" and range["end"] > range.start then
      where = where .. "-" .. range["end"]
    end
  end
  local review = require("codex.review")
  local lines = { string.format("- %s · %s", review.badge(f.priority, tostring(f.title or "")), where) }
  for _, l in ipairs(split(type(f.body) == "string" and f.body or "")) do
    table.insert(lines, l == "" and "" or ("  " .. l))
  end
  return lines
end

function renderers.exitedReviewMode(e)
  local out = e.reviewOutput
  if type(out) ~= "table" then
    -- No structured findings: the reviewer's text as it is.
    local lines = { "### Review" }
    vim.list_extend(lines, split(e.review))
    table.insert(lines, "")
    return lines
  end
  local review = require("codex.review")
  local findings = vim.deepcopy(type(out.findings) == "table" and out.findings or {})
  for i, f in ipairs(findings) do
    f.order = i
  end
  table.sort(findings, function(a, b)
    local pa, pb = tonumber(a.priority) or 9, tonumber(b.priority) or 9
    if pa ~= pb then
      return pa < pb
    end
    return a.order < b.order
  end)
  local lines = { "### Review · " .. review.count_text(findings) }
  for _, f in ipairs(findings) do
    vim.list_extend(lines, finding_lines(f))
  end
  local verdict = out.overallCorrectness
  if type(verdict) == "string" and verdict ~= "" then
    local confidence = ""
    if type(out.overallConfidenceScore) == "number" then
      confidence = string.format(" (confidence %.2f)", out.overallConfidenceScore)
    end
    table.insert(lines, "")
    table.insert(lines, "**Verdict:** " .. verdict .. confidence)
  end
  if type(out.overallExplanation) == "string" and out.overallExplanation ~= "" then
    vim.list_extend(lines, split(out.overallExplanation))
  end
  table.insert(lines, "")
  return lines
end

function renderers.plan(e)
  local lines = { "### Plan" }
  if type(e.explanation) == "string" and e.explanation ~= "" then
    vim.list_extend(lines, split(e.explanation))
  end
  local marks = { completed = "[x]", inProgress = "[~]", in_progress = "[~]" }
  for _, step in ipairs(e.plan or {}) do
    table.insert(lines, string.format("- %s %s", marks[step.status] or "[ ]", step.step))
  end
  table.insert(lines, "")
  return lines
end

function renderers.error(e)
  local lines = { "> **Error:** " .. (split(e.message)[1] or "") }
  for i, l in ipairs(split(e.message)) do
    if i > 1 then
      table.insert(lines, "> " .. l)
    end
  end
  if e.willRetry then
    table.insert(lines, "> (retrying…)")
  end
  table.insert(lines, "")
  return lines
end

function renderers.info(e)
  local lines = {}
  for _, l in ipairs(split(e.text)) do
    table.insert(lines, "_" .. l .. "_")
  end
  table.insert(lines, "")
  return lines
end

function renderers.turnEnd(e)
  local parts = { "── turn " .. tostring(e.status) }
  if e.error and type(e.error) == "table" and e.error.message then
    table.insert(parts, ": " .. e.error.message)
  end
  if e.tokens then
    table.insert(parts, " · " .. e.tokens)
  end
  return { table.concat(parts, ""), "" }
end

local function render(e)
  local r = renderers[e.kind]
  if not r then
    return { string.format("_(%s)_", e.kind), "" }
  end
  return r(e)
end

-- ---------------------------------------------------------------------------------------
-- Buffer and window

local function set_keymaps(buf)
  if not config.options.chat.keymaps then
    return
  end
  local function map(lhs, fn, desc)
    vim.keymap.set("n", lhs, fn, { buffer = buf, nowait = true, silent = true, desc = desc })
  end
  map("<CR>", function()
    require("codex").ask()
  end, "Codex: ask")
  map("<C-c>", function()
    require("codex").interrupt()
  end, "Codex: interrupt the turn")
  for _, lhs in ipairs({ "i", "a", "o" }) do
    map(lhs, function()
      require("codex.input").focus(true)
    end, "Codex: write a message (the input under the chat)")
  end
  map("q", function()
    M.close()
  end, "Codex: close the chat window")
end

--- Markdown highlighting for the chat: the treesitter parser (its injections highlight
--- code blocks in their language when that parser is installed), else the legacy syntax.
--- Returns "treesitter" or "syntax".
function M.start_highlighting(buf)
  if config.options.chat.treesitter ~= false then
    pcall(vim.treesitter.language.register, "markdown", "codex")
    if pcall(vim.treesitter.start, buf, "markdown") then
      return "treesitter"
    end
  end
  return "syntax"
end

--- The chat buffer (created on first use).
function M.get_buf()
  if M.buf and api.nvim_buf_is_valid(M.buf) then
    return M.buf
  end
  local buf = require("codex.util").scratch_buf("codex://chat")
  M.highlighting = M.start_highlighting(buf)
  vim.bo[buf].filetype = "codex"
  if M.highlighting == "syntax" then
    vim.bo[buf].syntax = "markdown"
  end
  vim.bo[buf].modifiable = false
  set_keymaps(buf)
  M.buf = buf
  -- A new buffer shows everything again.
  for _, e in ipairs(M.entries) do
    e.dirty = true
  end
  dirty_from = #M.entries > 0 and 1 or nil
  M.flush()
  return buf
end

local function setup_window(win)
  local wo = vim.wo[win]
  wo.wrap = true
  wo.linebreak = true
  wo.number = false
  wo.relativenumber = false
  wo.signcolumn = "no"
  wo.foldmethod = "expr"
  wo.foldexpr = "v:lua.require'codex.chat'.foldexpr(v:lnum)"
  wo.foldlevel = 0
  wo.foldenable = true
  wo.conceallevel = 2
end

--- The window showing the chat buffer in the current tab, if any.
function M.win()
  return require("codex.util").buf_win(M.buf)
end

--- Open (or focus) the chat window.
---@param opts? {focus?: boolean}
function M.open(opts)
  opts = opts or {}
  local buf = M.get_buf()
  local win = M.win()
  if not win then
    local c = config.options.chat
    local pos = c.position or "right"
    local prev = api.nvim_get_current_win()
    if pos == "current" then
      api.nvim_win_set_buf(0, buf)
    elseif pos == "tab" then
      vim.cmd("tab sbuffer " .. buf)
    else
      local mods = ({ right = "botright vertical", left = "topleft vertical",
                      below = "botright", above = "topleft" })[pos] or "botright vertical"
      vim.cmd(string.format("%s %ssplit", mods, c.size and tostring(c.size) or ""))
      api.nvim_win_set_buf(0, buf)
    end
    win = api.nvim_get_current_win()
    setup_window(win)
    M.scroll_to_end(win)
    M.last_win = win
    require("codex.input").open(win)
    if opts.focus == false and api.nvim_win_is_valid(prev) then
      api.nvim_set_current_win(prev)
    end
  elseif opts.focus ~= false then
    api.nvim_set_current_win(win)
  end
  return win
end

function M.close()
  require("codex.input").close()
  local win = M.win()
  if win and #api.nvim_list_wins() > 1 then
    api.nvim_win_close(win, false)
  end
end

--- Is `win` the chat's window or its input's?
function M.is_chat_win(win)
  return win ~= nil and (win == M.win() or win == require("codex.input").win())
end

function M.scroll_to_end(win)
  if win and api.nvim_win_is_valid(win) and M.buf then
    pcall(api.nvim_win_set_cursor, win, { api.nvim_buf_line_count(M.buf), 0 })
  end
end

-- ---------------------------------------------------------------------------------------
-- Folds: each reasoning entry is one fold (closed by foldlevel=0).

function M.foldexpr(lnum)
  return fold_levels[lnum] or "0"
end

local function rebuild_folds()
  fold_levels = {}
  for _, e in ipairs(M.entries) do
    if e.kind == "reasoning" and e.start and e.lines and #e.lines > 1 then
      local first, last = e.start + 1, e.start + #e.lines - 1 -- without the trailing blank
      fold_levels[first] = ">1"
      for l = first + 1, last do
        fold_levels[l] = "1"
      end
      if last > first then
        fold_levels[last] = "<1"
      end
    end
  end
end

-- ---------------------------------------------------------------------------------------
-- Rendering

local DIFF_GROUPS = { ["+"] = "CodexDiffAdd", ["-"] = "CodexDiffDelete", ["@"] = "CodexDiffHunk" }

--- Highlights of one rendered entry: its own (`e.hl`: {row, col, end_col, group}) and
--- the lines of its ```diff blocks (so diffs show without a diff parser).
local function highlight_entry(buf, e)
  local function hl(row, col, end_col, group)
    pcall(api.nvim_buf_set_extmark, buf, ns, e.start + row, col, {
      end_col = end_col,
      hl_group = group,
      priority = 200,
    })
  end
  for _, h in ipairs(e.hl or {}) do
    hl(h[1], h[2], h[3], h[4])
  end
  local in_diff = false
  for row, line in ipairs(e.lines or {}) do
    if line:match("^```") then
      in_diff = line == "```diff" and not in_diff
    elseif in_diff then
      local c = line:sub(1, 1)
      local group = DIFF_GROUPS[c]
      if group and not line:match("^%+%+%+ ") and not line:match("^%-%-%- ") and (c ~= "@" or line:match("^@@")) then
        hl(row - 1, 0, #line, group)
      end
    end
  end
end

--- Write pending changes to the buffer now.
function M.flush()
  if timer then
    timer:stop()
    timer:close()
    timer = nil
  end
  if not dirty_from or not (M.buf and api.nvim_buf_is_valid(M.buf)) then
    return
  end
  local first = dirty_from
  dirty_from = nil
  local start = 0
  if first > 1 then
    local prev = M.entries[first - 1]
    start = prev.start + #prev.lines
  end
  local out = {}
  for i = first, #M.entries do
    local e = M.entries[i]
    if e.dirty or not e.lines then
      e.lines = render(e)
      e.dirty = false
    end
    e.start = start + #out
    vim.list_extend(out, e.lines)
  end
  local buf = M.buf
  local followers = {}
  local line_count = api.nvim_buf_line_count(buf)
  for _, win in ipairs(api.nvim_list_wins()) do
    if api.nvim_win_get_buf(win) == buf and config.options.chat.follow then
      if api.nvim_win_get_cursor(win)[1] >= line_count then
        table.insert(followers, win)
      end
    end
  end
  -- Folds are computed while the lines change: the levels must be ready first.
  rebuild_folds()
  vim.bo[buf].modifiable = true
  if start == 0 then
    api.nvim_buf_set_lines(buf, 0, -1, false, out)
  else
    api.nvim_buf_set_lines(buf, start, -1, false, out)
  end
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
  api.nvim_buf_clear_namespace(buf, ns, start, -1)
  for i = first, #M.entries do
    highlight_entry(buf, M.entries[i])
  end
  for _, win in ipairs(followers) do
    M.scroll_to_end(win)
  end
end

local function schedule()
  if timer then
    return
  end
  timer = vim.uv.new_timer()
  timer:start(BATCH_MS, 0, vim.schedule_wrap(function()
    M.flush()
  end))
end

local function mark(e)
  e.dirty = true
  local idx = e.index
  if not dirty_from or idx < dirty_from then
    dirty_from = idx
  end
  schedule()
end

--- Check again what the files of completed file changes hold (those touching `path`, or
--- all); cards whose words change are redrawn.
function M.recheck(path)
  for _, e in ipairs(M.entries) do
    if e.kind == "fileChange" and e.status == "completed" then
      local touches = path == nil
      for _, c in ipairs(path and e.changes or {}) do
        local move = type(c.kind) == "table" and c.kind.movePath
        if c.path == path or move == path then
          touches = true
        end
      end
      if touches and cards.refresh(e) then
        mark(e)
      end
    end
  end
end

--- Redraw every card (e.g. after an undo: what they say may have changed).
function M.redraw_cards()
  for _, e in ipairs(M.entries) do
    if e.kind == "fileChange" then
      cards.refresh(e)
      mark(e)
    end
  end
end

-- A file that changes (written, reloaded, edited) may change what the cards touching it
-- say: check them again (debounced).
local recheck_timer = nil
local recheck_paths = {}
local function recheck_soon(buf)
  if not config.options.cards.check_files or #M.entries == 0 then
    return
  end
  local name = api.nvim_buf_get_name(buf)
  if name == "" or vim.bo[buf].buftype ~= "" then
    return
  end
  recheck_paths[name] = true
  if recheck_timer then
    return
  end
  recheck_timer = vim.defer_fn(function()
    recheck_timer = nil
    local paths = recheck_paths
    recheck_paths = {}
    for path in pairs(paths) do
      M.recheck(path)
    end
  end, 200)
end
local chat_group = api.nvim_create_augroup("codex.chat", { clear = true })
-- The input goes with the chat window (:q in the chat closes both).
api.nvim_create_autocmd("WinClosed", {
  group = chat_group,
  callback = function(args)
    if M.last_win and tonumber(args.match) == M.last_win then
      M.last_win = nil
      vim.schedule(function()
        if not M.win() then
          require("codex.input").close()
        end
      end)
    end
  end,
})
api.nvim_create_autocmd({ "BufWritePost", "FileChangedShellPost", "TextChanged", "InsertLeave" }, {
  group = chat_group,
  callback = function(args)
    recheck_soon(args.buf)
  end,
})

-- ---------------------------------------------------------------------------------------
-- Entry API used by the notification handlers

--- Append an entry; `id` (an item id) makes it reachable through `M.get(id)`.
function M.add(e)
  table.insert(M.entries, e)
  e.index = #M.entries
  if e.id then
    M.by_id[e.id] = e
  end
  mark(e)
  return e
end

function M.get(id)
  return M.by_id[id]
end

--- Update an entry in place with the fields of `fields`.
function M.update(e, fields)
  for k, v in pairs(fields or {}) do
    e[k] = v
  end
  mark(e)
  return e
end

--- The entry of an item, created (with `defaults`) when missing.
function M.ensure(id, kind, defaults)
  local e = M.by_id[id]
  if e then
    return e
  end
  local fresh = vim.tbl_extend("force", { kind = kind, id = id }, defaults or {})
  return M.add(fresh)
end

function M.info(text)
  return M.add({ kind = "info", text = text })
end

--- Forget everything shown (a new or resumed thread).
function M.clear()
  M.entries = {}
  M.by_id = {}
  dirty_from = nil
  fold_levels = {}
  if M.buf and api.nvim_buf_is_valid(M.buf) then
    vim.bo[M.buf].modifiable = true
    api.nvim_buf_set_lines(M.buf, 0, -1, false, {})
    vim.bo[M.buf].modifiable = false
  end
end

--- An entry for a completed ThreadItem (history, or an item whose start we missed).
function M.item_entry(item)
  local e = { id = item.id, kind = item.type }
  if item.type == "userMessage" then
    e.content = item.content
  elseif item.type == "agentMessage" then
    e.text = item.text or ""
  elseif item.type == "reasoning" then
    e.summary = vim.deepcopy(item.summary or {})
  elseif item.type == "commandExecution" then
    e.command = item.command
    e.status = item.status
    e.output = type(item.aggregatedOutput) == "string" and item.aggregatedOutput or ""
    e.exitCode = item.exitCode
    e.durationMs = item.durationMs
  elseif item.type == "fileChange" then
    e.changes = item.changes
    e.status = item.status
  elseif item.type == "mcpToolCall" then
    e.server, e.tool, e.status = item.server, item.tool, item.status
    e.arguments = item.arguments ~= vim.NIL and item.arguments or nil
    e.result = item.result ~= vim.NIL and item.result or nil
    e.error = item.error ~= vim.NIL and item.error or nil
    e.durationMs = item.durationMs
  elseif item.type == "webSearch" then
    e.query = item.query ~= vim.NIL and item.query or nil
    e.status = "completed"
  elseif item.type == "contextCompaction" then
    e.status = "completed"
  elseif item.type == "enteredReviewMode" then
    e.review = type(item.review) == "string" and item.review or ""
  elseif item.type == "exitedReviewMode" then
    e.review = type(item.review) == "string" and item.review or ""
    e.reviewOutput = item.output ~= vim.NIL and item.output or nil
  end
  return e
end

--- Render a whole thread's history (thread.turns). An item after the first of its turn
--- is a steering message (a userMessage) or an automatic compaction.
function M.render_history(thread)
  cards.scan_rollout(thread)
  for _, turn in ipairs(thread.turns or {}) do
    local items = turn.items or {}
    for i, item in ipairs(items) do
      local e = M.item_entry(item)
      e.threadId, e.turnId = thread.id, turn.id
      if item.type == "userMessage" then
        e.steer = i > 1
      elseif item.type == "contextCompaction" then
        e.auto = i > 1
        if #items == 1 and turn.status == "failed" then
          e.status = "failed"
        end
      end
      M.add(e)
    end
    if turn.status ~= "completed" and turn.status ~= "inProgress" then
      M.add({ kind = "turnEnd", status = turn.status, error = turn.error })
    end
  end
end

--- The whole buffer text (flushes first).
function M.text()
  M.flush()
  if not (M.buf and api.nvim_buf_is_valid(M.buf)) then
    return ""
  end
  return table.concat(api.nvim_buf_get_lines(M.buf, 0, -1, false), "\n")
end

return M
