-- What the chat card of a file change says the files hold: applied, partly applied (hunks
-- rejected in the review), undone (:CodexUndo), reverted or changed since (the files no
-- longer hold the change).
--
-- Sources, most certain first:
--   * undone turns: the answer of `codex.undoTurn`, remembered per thread in a small JSON
--     file (see `cards.state_file`), and the server's own `turn_undone` records in the
--     thread's rollout (`thread.path`), so an undo survives a restart of Neovim and of the
--     server, also one done from another editor;
--   * partly applied edits: the plugin's hunk review, remembered per item the same way;
--   * the files: each change's diff is looked for in the file (its buffer when loaded):
--     the new side found means applied, only the old side means reverted, neither means
--     changed since.
local config = require("codex.config")

local api = vim.api
local uv = vim.uv or vim.loop
local M = {}

local MAX_THREADS = 200 -- threads kept in the state file (the most recently touched)
local MAX_CHECK_BYTES = 1024 * 1024 -- larger files are not checked (taken as applied)
local MAX_ROLLOUT_BYTES = 64 * 1024 * 1024

-- ---------------------------------------------------------------------------------------
-- The state file

local store = nil ---@type table|nil  {version, threads = {[id] = {undone, reviews, at}}}
local rollout_undone = {} ---@type table<string, table>  threadId -> {[turnId] = undo}
local rollout_seen = {} ---@type table<string, string>  threadId -> the rollout's path:size:mtime read

function M.state_file()
  return config.options.cards.state_file or (vim.fn.stdpath("state") .. "/codex/cards.json")
end

local function load()
  if store then
    return store
  end
  store = { version = 1, threads = {} }
  local f = io.open(M.state_file(), "r")
  if f then
    local ok, data = pcall(vim.json.decode, f:read("*a"), { luanil = { object = true, array = true } })
    f:close()
    if ok and type(data) == "table" and type(data.threads) == "table" then
      store = data
    end
  end
  return store
end

local function save()
  local s = load()
  local ids = vim.tbl_keys(s.threads)
  if #ids > MAX_THREADS then
    table.sort(ids, function(a, b)
      return (s.threads[a].at or 0) > (s.threads[b].at or 0)
    end)
    for i = MAX_THREADS + 1, #ids do
      s.threads[ids[i]] = nil
    end
  end
  local path = M.state_file()
  vim.fn.mkdir(vim.fs.dirname(path), "p", tonumber("700", 8))
  local tmp = path .. ".tmp" .. tostring(uv.os_getpid())
  local f = io.open(tmp, "w")
  if not f then
    return
  end
  f:write(vim.json.encode(s))
  f:close()
  os.rename(tmp, path)
end

local function thread_record(thread_id, create)
  local s = load()
  local t = s.threads[thread_id]
  if not t and create then
    t = { undone = {}, reviews = {} }
    s.threads[thread_id] = t
  end
  if t then
    t.undone = t.undone or {}
    t.reviews = t.reviews or {}
    if create then
      t.at = os.time()
    end
  end
  return t
end

--- Forget what was loaded (tests: the file is read again).
function M.reload()
  store = nil
  rollout_undone = {}
  rollout_seen = {}
end

--- Remember the answer of `codex.undoTurn` (`result.undone` true).
function M.record_undo(thread_id, result)
  if not (thread_id and type(result) == "table" and result.turnId) then
    return
  end
  local t = thread_record(thread_id, true)
  t.undone[result.turnId] = {
    restored = result.restored or {},
    deleted = result.deleted or {},
    refused = result.refused or {},
  }
  save()
end

--- Remember how the review of a file change went: `files[path] = {accepted, total}`.
function M.record_review(thread_id, item_id, files)
  if not (thread_id and item_id) then
    return
  end
  local t = thread_record(thread_id, true)
  t.reviews[item_id] = { files = files }
  save()
end

--- The undo of a turn, or nil.
function M.undo_of(thread_id, turn_id)
  if not (thread_id and turn_id) then
    return nil
  end
  local t = thread_record(thread_id, false)
  local undo = t and t.undone[turn_id]
  if undo then
    return undo
  end
  return (rollout_undone[thread_id] or {})[turn_id]
end

--- How the review of an item went, or nil. Item ids are unique: a fork's copy of an item
--- (another thread) finds the original's review.
function M.review_of(thread_id, item_id)
  if not item_id then
    return nil
  end
  local t = thread_id and thread_record(thread_id, false)
  if t and t.reviews[item_id] then
    return t.reviews[item_id]
  end
  for _, other in pairs(load().threads) do
    if type(other.reviews) == "table" and other.reviews[item_id] then
      return other.reviews[item_id]
    end
  end
  return nil
end

--- Read the `turn_undone` records of a thread's rollout (the server's own record of its
--- undos), when the file is local and readable. A stopgap until the server says it in
--- `thread/read` / `thread/resume`.
function M.scan_rollout(thread)
  if type(thread) ~= "table" or type(thread.id) ~= "string" or type(thread.path) ~= "string" then
    return
  end
  local stat = uv.fs_stat(thread.path)
  if not stat or stat.type ~= "file" or stat.size > MAX_ROLLOUT_BYTES then
    return
  end
  local seen = string.format("%s:%d:%d.%d", thread.path, stat.size, stat.mtime.sec, stat.mtime.nsec)
  if rollout_seen[thread.id] == seen then
    return -- read already, unchanged since
  end
  rollout_seen[thread.id] = seen
  local found = {}
  local ok = pcall(function()
    for line in io.lines(thread.path) do
      if line:find('"type":"turn_undone"', 1, true) then
        local decoded, record = pcall(vim.json.decode, line, { luanil = { object = true, array = true } })
        local p = decoded and type(record) == "table" and record.payload or nil
        if type(p) == "table" and type(p.turnId) == "string" then
          found[p.turnId] = { restored = p.restored or {}, deleted = p.deleted or {}, refused = p.refused or {} }
        end
      end
    end
  end)
  if ok then
    rollout_undone[thread.id] = found
  end
end

-- ---------------------------------------------------------------------------------------
-- What the files hold

--- The hunks of a unified diff as {old = lines, new = lines} (context included).
function M.diff_hunks(diff)
  local hunks, cur = {}, nil
  for _, line in ipairs(vim.split(diff or "", "\n", { plain = true })) do
    if line:match("^@@ ") then
      cur = { old = {}, new = {} }
      table.insert(hunks, cur)
    elseif cur then
      local c, rest = line:sub(1, 1), line:sub(2)
      if c == " " then
        table.insert(cur.old, rest)
        table.insert(cur.new, rest)
      elseif c == "-" then
        table.insert(cur.old, rest)
      elseif c == "+" then
        table.insert(cur.new, rest)
      end
    end
  end
  return hunks
end

local function find_block(lines, block)
  local n = #block
  if n == 0 then
    return true
  end
  for i = 1, #lines - n + 1 do
    if lines[i] == block[1] then
      local same = true
      for k = 2, n do
        if lines[i + k - 1] ~= block[k] then
          same = false
          break
        end
      end
      if same then
        return true
      end
    end
  end
  return false
end

--- The lines of a file as the user sees them: its loaded buffer, else the disk (nil when
--- it does not exist, false when it is too large to check).
local function current_lines(path)
  local b = vim.fn.bufnr(path)
  if b ~= -1 and api.nvim_buf_is_loaded(b) then
    return api.nvim_buf_get_lines(b, 0, -1, false)
  end
  local stat = uv.fs_stat(path)
  if not stat then
    return nil
  end
  if stat.type ~= "file" or stat.size > MAX_CHECK_BYTES then
    return false
  end
  local ok, lines = pcall(vim.fn.readfile, path)
  return ok and lines or false
end

local function change_path(c)
  local kind = type(c.kind) == "table" and c.kind or {}
  local move = kind.movePath
  if type(move) == "string" and move ~= "" then
    return move
  end
  return c.path
end

--- "applied" | "reverted" | "changed" for one change of a fileChange item.
function M.change_state(c)
  local kind = type(c.kind) == "table" and c.kind.type or tostring(c.kind)
  local lines = current_lines(change_path(c))
  if lines == false then
    return "applied" -- not checked
  end
  if kind == "delete" then
    return lines == nil and "applied" or "reverted"
  end
  if lines == nil then
    return kind == "add" and "reverted" or "changed"
  end
  local hunks = M.diff_hunks(c.diff)
  if #hunks == 0 then
    return "applied"
  end
  if kind == "add" then
    -- A created buffer may hold one more, empty, line than the file has.
    local trimmed = vim.deepcopy(lines)
    while #trimmed > 0 and trimmed[#trimmed] == "" do
      table.remove(trimmed)
    end
    return vim.deep_equal(trimmed, hunks[1].new) and "applied" or "changed"
  end
  local holds_new, holds_old = true, true
  for _, h in ipairs(hunks) do
    holds_new = holds_new and find_block(lines, h.new)
    holds_old = holds_old and find_block(lines, h.old)
  end
  if holds_new then
    return "applied"
  end
  return holds_old and "reverted" or "changed"
end

--- What the files of a completed fileChange entry hold: "applied" | "reverted" |
--- "partly reverted" (some files put back, the others not) | "changed".
function M.files_state(e)
  local states = {}
  for _, c in ipairs(e.changes or {}) do
    states[M.change_state(c)] = true
  end
  if states.changed then
    return "changed"
  elseif states.reverted and states.applied then
    return "partly reverted"
  end
  return states.reverted and "reverted" or "applied"
end

-- ---------------------------------------------------------------------------------------
-- The card's words

local function rel(path)
  return vim.fn.fnamemodify(path, ":~:.")
end

local function paths_of(e)
  local out = {}
  for _, c in ipairs(e.changes or {}) do
    out[c.path] = true
    local move = type(c.kind) == "table" and c.kind.movePath
    if type(move) == "string" then
      out[move] = true
    end
  end
  return out
end

--- The undo words for a card whose turn was undone: "undone" or "partly undone (...)";
--- nil when the undo did not touch its files.
local function undo_words(e, undo)
  local mine = paths_of(e)
  local back, refused = 0, {}
  for _, p in ipairs(vim.list_extend(vim.list_extend({}, undo.restored or {}), undo.deleted or {})) do
    if mine[p] then
      back = back + 1
    end
  end
  for _, r in ipairs(undo.refused or {}) do
    if type(r) == "table" and mine[r.path] then
      table.insert(refused, rel(r.path))
    end
  end
  if back == 0 and #refused == 0 then
    return "undone" -- the turn was undone (its files were already back)
  end
  if #refused == 0 then
    return "undone"
  end
  if back == 0 then
    return nil
  end
  return "partly undone (left as is: " .. table.concat(refused, ", ") .. ")"
end

local function review_words(review)
  local parts, partial = {}, false
  local paths = vim.tbl_keys(review.files or {})
  table.sort(paths)
  for _, p in ipairs(paths) do
    local f = review.files[p]
    if f.accepted < f.total then
      partial = true
      table.insert(parts, string.format("%s: %d of %d hunks", rel(p), f.accepted, f.total))
    end
  end
  if not partial then
    return nil
  end
  return "partly applied (" .. table.concat(parts, ", ") .. ")"
end

--- What a completed fileChange card says, and its highlight group:
--- ("applied" | "partly applied (...)" | "undone" | "reverted" | "changed since", group).
function M.describe(e)
  local undo = M.undo_of(e.threadId, e.turnId)
  if undo then
    local words = undo_words(e, undo)
    if words then
      return words, words == "undone" and "CodexCardUndone" or "CodexCardPartial"
    end
  end
  local files = e.files_state or "applied"
  if files == "reverted" then
    return "reverted", "CodexCardUndone"
  elseif files == "partly reverted" then
    return "partly reverted", "CodexCardPartial"
  elseif files == "changed" then
    return "changed since", "CodexCardPartial"
  end
  local review = e.review or M.review_of(e.threadId, e.id)
  local partial = review and review_words(review)
  if partial then
    return partial, "CodexCardPartial"
  end
  return "applied", "CodexCardApplied"
end

--- Check the files of a completed fileChange entry; true when what they hold changed.
function M.refresh(e)
  if e.kind ~= "fileChange" or e.status ~= "completed" or not config.options.cards.check_files then
    return false
  end
  local before = e.files_state
  local ok, now = pcall(M.files_state, e)
  e.files_state = ok and now or "applied"
  return before ~= e.files_state
end

return M
