-- Shared state of the plugin: the active thread and turn, and what the agent is doing.
local M = {
  client_id = nil, ---@type integer|nil
  thread_id = nil, ---@type string|nil
  thread = nil, ---@type table|nil  the last Thread object seen for the active thread
  turn_id = nil, ---@type string|nil  the turn in progress
  -- "idle" | "starting" | "thinking" | "reviewing" | "responding" | "running" | "editing"
  -- | "compacting" | "approval"
  activity = "idle",
  review_turns = {}, ---@type table<string, boolean>  ids of review turns in progress
  running_items = {}, ---@type table<string, string>  itemId -> item type, while in progress
  turn_items = 0, ---@type integer  items started so far in the turn in progress
  -- The last compaction of the active thread until its outcome is known:
  -- {turnId, entry (its chat entry), compacted (codex/thread/compacted seen)}.
  compaction = nil, ---@type table|nil
  token_usage = nil, ---@type table|nil  TokenUsage of the active thread
  own_reverts = 0, ---@type integer  codex/thread/reverted notifications :CodexRewind awaits
  last_error = nil, ---@type string|nil
  last_turn = nil, ---@type table|nil  the last completed Turn
  -- How the review of a fileChange item's edit went: itemId -> {files = {[path] =
  -- {accepted, total}}} (read when the item completes).
  reviews = {}, ---@type table<string, table>
  -- The model and reasoning effort chosen with :CodexModel for the next turns (nil: the
  -- thread's own), and the thread's model as the server last said.
  model = nil, ---@type string|nil
  effort = nil, ---@type string|nil
  thread_model = nil, ---@type string|nil
}

local function refresh()
  pcall(vim.cmd, "redrawstatus")
end

--- Recompute `activity` from the running items (the most specific one wins).
function M.recompute()
  if not M.turn_id then
    M.activity = "idle"
  else
    local thinking = M.review_turns[M.turn_id] and "reviewing" or "thinking"
    local activity = thinking
    for _, kind in pairs(M.running_items) do
      if kind == "commandExecution" then
        activity = "running"
      elseif kind == "fileChange" and activity ~= "running" then
        activity = "editing"
      elseif kind == "agentMessage" and activity == thinking then
        activity = "responding"
      elseif kind == "contextCompaction" then
        activity = "compacting"
      end
    end
    if M.waiting_on_approval then
      activity = "approval"
    end
    M.activity = activity
  end
  refresh()
end

function M.reset_thread(thread_id, thread)
  M.thread_id = thread_id
  M.thread = thread
  M.turn_id = nil
  M.running_items = {}
  M.turn_items = 0
  M.compaction = nil
  M.token_usage = nil
  M.waiting_on_approval = false
  M.recompute()
end

return M
