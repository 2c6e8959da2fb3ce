-- Handlers for the server's codex/ notifications: they update the state and the chat.
--
-- Every codex/ notification is also re-published as `User CodexNotification` with
-- `data = {method = ..., params = ..., client_id = ...}`, for statuslines and scripts.
local chat = require("codex.chat")
local review = require("codex.review")
local state = require("codex.state")

local M = {}

local util = require("codex.util")
local nonnull = util.nonnull

--- Is this notification about the thread the chat shows? Adopts a thread when the plugin
--- has none yet, or when a turn starts in another thread while ours is idle (e.g. a turn
--- started through a code action or `codex.ask`).
local function ours(params, ctx, adopt)
  local tid = params and params.threadId
  if not tid then
    return true
  end
  if state.thread_id == tid then
    return true
  end
  if adopt and (state.thread_id == nil or state.turn_id == nil) then
    local switched = state.thread_id ~= nil
    state.reset_thread(tid, nil)
    state.client_id = ctx and ctx.client_id or state.client_id
    if switched then
      chat.info("Switched to thread " .. tid)
    end
    return true
  end
  return false
end

local function fmt_tokens(n)
  if type(n) ~= "number" then
    return "?"
  end
  if n >= 1000 then
    return string.format("%.1fk", n / 1000)
  end
  return tostring(n)
end

--- A one-line summary of a TokenUsage, e.g. "tokens: 1.2k in, 300 out · 12% of context".
function M.token_summary(usage)
  usage = usage or state.token_usage
  if type(usage) ~= "table" then
    return nil
  end
  local last = type(usage.last) == "table" and usage.last or {}
  local total = type(usage.total) == "table" and usage.total or {}
  local parts = {
    string.format("tokens: %s in, %s out", fmt_tokens(last.inputTokens), fmt_tokens(last.outputTokens)),
  }
  local percent = util.context_percent(usage)
  if percent then
    table.insert(parts, string.format("%d%% of context", percent))
  elseif type(total.totalTokens) == "number" then
    table.insert(parts, fmt_tokens(total.totalTokens) .. " total")
  end
  return table.concat(parts, " · ")
end

local H = {}

H["codex/thread/started"] = function(_, params, ctx)
  local thread = params.thread or {}
  if state.thread_id == nil and thread.id then
    state.reset_thread(thread.id, thread)
    state.client_id = ctx.client_id
  elseif thread.id == state.thread_id then
    state.thread = thread
  end
end

H["codex/thread/status/changed"] = function(_, params)
  if not ours(params) then
    return
  end
  local status = params.status or {}
  local waiting = false
  for _, flag in ipairs(status.activeFlags or {}) do
    if flag == "waitingOnApproval" or flag == "waitingOnUserInput" then
      waiting = true
    end
  end
  state.waiting_on_approval = waiting
  state.recompute()
end

H["codex/thread/name/updated"] = function(_, params)
  if ours(params) and state.thread then
    state.thread.name = params.name
  end
end

H["codex/thread/tokenUsage/updated"] = function(_, params)
  if ours(params) then
    state.token_usage = params.tokenUsage
    -- The first usage after a compaction is the compacted context: the card shows it.
    local c = state.compaction
    if c and c.compacted and c.entry.after == nil then
      chat.update(c.entry, { after = util.context_percent(params.tokenUsage) })
      state.compaction = nil
    end
    state.recompute()
  end
end

H["codex/thread/compacted"] = function(_, params)
  if not ours(params) then
    return
  end
  local c = state.compaction
  if not (c and c.turnId == params.turnId) then
    return
  end
  c.compacted = true
  if c.entry.auto then
    local before = c.entry.before and string.format(" (the context window was %d%% full)", c.entry.before) or ""
    vim.notify("codex: the conversation was compacted automatically" .. before, vim.log.levels.INFO)
  end
end

H["codex/thread/reverted"] = function(_, params, ctx)
  -- Turns dropped by someone else (e.g. the codex.revert command): show what is left.
  -- :CodexRewind redraws the chat from its own answer.
  if state.own_reverts > 0 then
    state.own_reverts = state.own_reverts - 1
  elseif params.threadId == state.thread_id then
    require("codex").refresh_thread(ctx.client_id)
  end
end

H["codex/turn/started"] = function(_, params, ctx)
  if not ours(params, ctx, true) then
    return
  end
  state.turn_id = params.turn and params.turn.id
  state.running_items = {}
  state.turn_items = 0
  state.last_error = nil
  state.recompute()
end

H["codex/turn/completed"] = function(_, params)
  if not ours(params) then
    return
  end
  local turn = params.turn or {}
  if turn.id == state.turn_id or state.turn_id == nil then
    state.turn_id = nil
    state.running_items = {}
    state.waiting_on_approval = false
  end
  state.last_turn = turn
  local c = state.compaction
  if c and c.turnId == turn.id then
    if not c.compacted then
      chat.update(c.entry, { status = "failed" })
    end
    state.compaction = nil
  end
  local err = nonnull(turn.error)
  if err then
    state.last_error = err.message
  end
  chat.add({ kind = "turnEnd", status = turn.status, error = err, tokens = M.token_summary() })
  state.recompute()
end

H["codex/turn/plan/updated"] = function(_, params)
  if not ours(params) then
    return
  end
  local id = "plan:" .. tostring(params.turnId)
  local e = chat.ensure(id, "plan")
  chat.update(e, { explanation = nonnull(params.explanation), plan = params.plan })
end

H["codex/item/started"] = function(_, params)
  if not ours(params) then
    return
  end
  local item = params.item or {}
  if item.type ~= "userMessage" then
    state.running_items[item.id] = item.type
  end
  -- Later items of a turn: a steering message, an automatic compaction.
  local later = params.turnId == state.turn_id and state.turn_items > 0
  if params.turnId == state.turn_id then
    state.turn_items = state.turn_items + 1
  end
  local e = chat.get(item.id)
  if e then
    return
  end
  local fresh = chat.item_entry(item)
  fresh.threadId, fresh.turnId = params.threadId, params.turnId
  if item.type == "commandExecution" or item.type == "fileChange" or item.type == "mcpToolCall"
    or item.type == "webSearch" then
    fresh.status = "inProgress"
  elseif item.type == "userMessage" then
    fresh.steer = later
  elseif item.type == "contextCompaction" then
    fresh.status = "inProgress"
    fresh.auto = later
    fresh.before = util.context_percent(state.token_usage)
    state.compaction = { turnId = params.turnId, entry = fresh }
  end
  chat.add(fresh)
  state.recompute()
end

H["codex/item/completed"] = function(_, params)
  if not ours(params) then
    return
  end
  local item = params.item or {}
  state.running_items[item.id] = nil
  local fresh = chat.item_entry(item)
  fresh.threadId, fresh.turnId = params.threadId, params.turnId
  if item.type == "fileChange" then
    -- How its review went (hunks rejected): the card says so, also after a restart.
    fresh.review = state.reviews[item.id]
    state.reviews[item.id] = nil
    fresh.reviewing = false
    local files = fresh.review and fresh.review.files or {}
    for _, f in pairs(files) do
      if f.accepted < f.total and item.status == "completed" then
        require("codex.cards").record_review(params.threadId, item.id, files)
        break
      end
    end
  end
  local e = chat.get(item.id)
  if e then
    fresh.index = e.index
    -- Keep what streamed when the completed item leaves it out.
    if fresh.output == "" and (e.output or "") ~= "" then
      fresh.output = e.output
    end
    fresh.progress = fresh.progress or e.progress
    if fresh.summary and #fresh.summary == 0 and e.summary and #e.summary > 0 then
      fresh.summary = e.summary
    end
    chat.update(e, fresh)
  else
    chat.add(fresh)
  end
  state.recompute()
end

H["codex/item/agentMessage/delta"] = function(_, params)
  if not ours(params) then
    return
  end
  local e = chat.ensure(params.itemId, "agentMessage", { text = "" })
  chat.update(e, { text = (e.text or "") .. (params.delta or "") })
end

local function summary_part(e, index)
  e.summary = e.summary or {}
  local i = (index or 0) + 1
  for k = #e.summary + 1, i do
    e.summary[k] = ""
  end
  return i
end

H["codex/item/reasoning/summaryPartAdded"] = function(_, params)
  if not ours(params) then
    return
  end
  local e = chat.ensure(params.itemId, "reasoning", { summary = {} })
  summary_part(e, params.summaryIndex)
  chat.update(e)
end

H["codex/item/reasoning/summaryTextDelta"] = function(_, params)
  if not ours(params) then
    return
  end
  local e = chat.ensure(params.itemId, "reasoning", { summary = {} })
  local i = summary_part(e, params.summaryIndex)
  e.summary[i] = e.summary[i] .. (params.delta or "")
  chat.update(e)
end

H["codex/item/commandExecution/outputDelta"] = function(_, params)
  if not ours(params) then
    return
  end
  local e = chat.ensure(params.itemId, "commandExecution", { output = "", status = "inProgress" })
  chat.update(e, { output = (e.output or "") .. (params.delta or "") })
end

H["codex/error"] = function(_, params)
  if not ours(params) then
    return
  end
  local err = params.error or {}
  state.last_error = err.message
  chat.add({ kind = "error", message = tostring(err.message or "error"), willRetry = params.willRetry })
  if not params.willRetry then
    vim.notify("codex: " .. tostring(err.message), vim.log.levels.ERROR)
  end
end

H["codex/account/login/completed"] = function(_, params)
  if params.success then
    vim.notify("codex: logged in", vim.log.levels.INFO)
  else
    vim.notify("codex: login failed: " .. tostring(nonnull(params.error) or "unknown error"), vim.log.levels.ERROR)
  end
end

H["codex/mcpServer/startupStatus/updated"] = function(_, params)
  require("codex.mcp").on_startup(params)
end

H["codex/mcpServer/oauthLogin/completed"] = function(_, params)
  require("codex.mcp").on_login(params)
end

H["codex/item/mcpToolCall/progress"] = function(_, params)
  if not ours(params) then
    return
  end
  local e = chat.ensure(params.itemId, "mcpToolCall", { status = "inProgress" })
  local progress = vim.list_extend({}, e.progress or {})
  table.insert(progress, tostring(nonnull(params.message) or "…"))
  chat.update(e, { progress = progress })
end

-- Notifications the plugin only re-publishes.
local passthrough = {
  "codex/thread/archived",
  "codex/thread/unarchived",
  "codex/turn/diff/updated",
  "codex/item/reasoning/textDelta",
  "codex/serverRequest/resolved",
  "codex/account/updated",
  "codex/account/rateLimits/updated",
}

local function publish(method, params, ctx)
  pcall(vim.api.nvim_exec_autocmds, "User", {
    pattern = "CodexNotification",
    modeline = false,
    data = { method = method, params = params, client_id = ctx and ctx.client_id },
  })
end

local function guarded(method, fn, ...)
  local ok, e = pcall(fn, ...)
  if not ok then
    vim.notify(string.format("codex: error handling %s: %s", method, e), vim.log.levels.ERROR)
  end
end

--- The handler table given to the LSP client.
function M.all()
  local out = {}
  for method, fn in pairs(H) do
    out[method] = function(err, params, ctx)
      guarded(method, fn, err, params or {}, ctx or {})
      if review.hooks[method] then
        -- Review turns of any thread (after the chat shows the notification).
        guarded(method, review.hooks[method], params or {}, ctx or {})
      end
      publish(method, params, ctx)
    end
  end
  for _, method in ipairs(passthrough) do
    out[method] = function(_, params, ctx)
      publish(method, params, ctx)
    end
  end
  return out
end

return M
