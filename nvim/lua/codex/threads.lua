-- :CodexThreads: the thread list (the current thread marked ●) with vim.ui.select, and the
-- thread actions: resume, rename, fork, archive, unarchive.
local config = require("codex.config")
local state = require("codex.state")
local util = require("codex.util")

local nonnull, notify = util.nonnull, util.notify
local M = {}

M.MARK = "●"

local function codex()
  return require("codex")
end

local function title(t)
  local name = nonnull(t.name) or nonnull(t.preview) or ""
  if name == "" then
    name = "(empty)"
  end
  return (name:gsub("\n", " "))
end

--- How a thread shows in the list: "● 2025-01-02 10:00  name  [~/project]" (● = current).
function M.label(t)
  local when = type(t.updatedAt) == "number" and os.date("%Y-%m-%d %H:%M", t.updatedAt) or ""
  local mark = t.id == state.thread_id and M.MARK or " "
  return string.format("%s %s  %s  [%s]", mark, when, title(t), vim.fn.fnamemodify(t.cwd or "", ":~"))
end

--- The actions offered after the threads in :CodexThreads.
M.ACTIONS = {
  { action = "rename", text = "Rename a thread…" },
  { action = "fork", text = "Fork a thread (a copy to try another way)…" },
  { action = "archive", text = "Archive a thread…" },
  { action = "archived", text = "Archived threads (unarchive one)…" },
}

local function list(params, cb)
  codex().with_client(function(client)
    local p = vim.tbl_extend("force", { limit = config.options.thread_list_limit, sortKey = "updated_at" }, params or {})
    codex().request(client, "codex/thread/list", p, function(result)
      if result then
        cb(result.data or {}, client)
      end
    end)
  end)
end

--- Pick a thread (current first, marked) for `what`; `cb(thread, client)`.
local function pick_thread(what, params, cb)
  list(params, function(data, client)
    if #data == 0 then
      notify(params and params.archived and "no archived threads" or "no threads yet")
      return
    end
    for i, t in ipairs(data) do
      if t.id == state.thread_id and i > 1 then
        table.insert(data, 1, table.remove(data, i))
        break
      end
    end
    vim.ui.select(data, { prompt = what, kind = "codex_thread", format_item = M.label }, function(choice)
      if choice then
        cb(choice, client)
      end
    end)
  end)
end

--- Send `method` about a thread (the current one when `thread_id` is nil): `on_result(
--- result, client, thread_id)` runs when it succeeded.
local function thread_request(what, thread_id, method, params, on_result)
  thread_id = thread_id or state.thread_id
  if not thread_id then
    notify("no thread to " .. what, vim.log.levels.WARN)
    return
  end
  codex().with_client(function(client)
    local p = vim.tbl_extend("force", { threadId = thread_id }, params or {})
    codex().request(client, method, p, function(result)
      if result then
        on_result(result, client, thread_id)
      end
    end)
  end)
end

--- Rename a thread (`codex/thread/name/set`); asks for the name when none is given.
function M.rename(thread_id, name, cb)
  if not name or vim.trim(name) == "" then
    if thread_id or state.thread_id then
      util.input("New name of the thread: ", function(input)
        M.rename(thread_id, input, cb)
      end)
    else
      notify("no thread to rename", vim.log.levels.WARN)
    end
    return
  end
  name = vim.trim(name)
  thread_request("rename", thread_id, "codex/thread/name/set", { name = name }, function(_, _, id)
    if id == state.thread_id and state.thread then
      state.thread.name = name
    end
    notify(string.format("thread renamed: %s", name))
    if cb then
      cb(true)
    end
  end)
end

--- Fork a thread (`codex/thread/fork`): the chat shows the copy, which becomes current.
function M.fork(thread_id, cb)
  thread_request("fork", thread_id, "codex/thread/fork", nil, function(result, client)
    codex().show_resumed(client, result, "Forked thread")
    notify("forked into a new thread: your next message goes there")
    if cb then
      cb(result.thread)
    end
  end)
end

--- Archive a thread (`codex/thread/archive`). The current thread's chat is cleared: your
--- next message starts a new thread.
function M.archive(thread_id, cb)
  thread_request("archive", thread_id, "codex/thread/archive", nil, function(_, _, id)
    if id == state.thread_id then
      local chat = require("codex.chat")
      state.reset_thread(nil, nil)
      chat.clear()
      chat.info("Thread archived; your next message starts a new thread (:CodexThreads archived brings it back)")
    end
    notify("thread archived")
    if cb then
      cb(true)
    end
  end)
end

--- Unarchive a thread (`codex/thread/unarchive`) and resume it.
function M.unarchive(thread_id, cb)
  thread_request("unarchive", thread_id, "codex/thread/unarchive", nil, function(_, _, id)
    notify("thread unarchived")
    codex().resume(id, cb)
  end)
end

local function run_action(action)
  if action == "archived" then
    return pick_thread("Unarchive and resume", { archived = true }, function(t)
      M.unarchive(t.id)
    end)
  end
  local what = ({ rename = "Rename", fork = "Fork", archive = "Archive" })[action]
  pick_thread(what, nil, function(t)
    M[action](t.id)
  end)
end

--- :CodexThreads [action [args]]: without an action, the thread list (pick one to resume
--- it) followed by the actions; `rename [name]`, `fork`, `archive` act on the current
--- thread; `archived` lists the archived ones.
function M.command(args)
  local action, rest = vim.trim(args or ""):match("^(%S*)%s*(.-)$")
  if action == "" then
    return M.pick()
  elseif action == "rename" then
    return M.rename(nil, rest)
  elseif action == "fork" or action == "archive" then
    return M[action](nil)
  elseif action == "archived" then
    return run_action("archived")
  end
  notify("unknown :CodexThreads action " .. action .. " (rename, fork, archive, archived)", vim.log.levels.ERROR)
end

function M.complete(arglead)
  return vim.tbl_filter(function(s)
    return vim.startswith(s, arglead)
  end, { "rename", "fork", "archive", "archived" })
end

--- The thread list: pick a thread to resume it, or an action.
function M.pick()
  list(nil, function(data)
    local items = vim.list_extend(vim.deepcopy(data), vim.deepcopy(M.ACTIONS))
    if #data == 0 then
      notify("no threads yet")
      return
    end
    vim.ui.select(items, {
      prompt = "Codex threads (" .. M.MARK .. " current)",
      kind = "codex_thread",
      format_item = function(item)
        return item.action and ("» " .. item.text) or M.label(item)
      end,
    }, function(choice)
      if not choice then
        return
      elseif choice.action then
        run_action(choice.action)
      else
        codex().resume(choice.id)
      end
    end)
  end)
end

return M
