-- What :CodexUndo says: the result of `codex.undoTurn` in one line, and "nothing to undo"
-- (an answer with `undone: false` and the reason in `notes`, or -32602 from older
-- servers) as a plain sentence instead of "invalid params".
local M = {}

local INVALID_PARAMS = -32602

local function rel(p)
  return vim.fn.fnamemodify(p, ":~:.")
end

--- The question of turn `turn_id` as the chat shows it, if any.
local function question_of(turn_id)
  for _, e in ipairs(require("codex.chat").entries) do
    if e.turnId == turn_id and e.kind == "userMessage" then
      for _, input in ipairs(e.content or {}) do
        if input.type == "text" then
          local line = (input.text:match("^%s*([^\n]*)"))
          if vim.fn.strchars(line) > 40 then
            line = vim.fn.strcharpart(line, 0, 39) .. "…"
          end
          return line
        end
      end
    end
  end
end

--- Is `turn_id` the latest turn the chat shows?
local function is_last_turn(turn_id)
  local entries = require("codex.chat").entries
  for i = #entries, 1, -1 do
    if entries[i].turnId then
      return entries[i].turnId == turn_id
    end
  end
  return true
end

--- One line for the chat: what the undo did.
function M.summary(result)
  if not result.undone then
    local parts = { "Nothing undone" }
    for _, r in ipairs(type(result.refused) == "table" and result.refused or {}) do
      table.insert(parts, string.format("%s: %s", rel(r.path), r.reason))
    end
    return table.concat(parts, "; ")
  end
  local head = is_last_turn(result.turnId) and "Undid the last turn's file changes"
    or "Undid the file changes of an earlier turn"
  local question = question_of(result.turnId)
  if question then
    head = head .. string.format(" (%q)", question)
  end
  local parts = { head }
  if type(result.restored) == "table" and #result.restored > 0 then
    table.insert(parts, "restored " .. table.concat(vim.tbl_map(rel, result.restored), ", "))
  end
  if type(result.deleted) == "table" and #result.deleted > 0 then
    table.insert(parts, "deleted " .. table.concat(vim.tbl_map(rel, result.deleted), ", "))
  end
  for _, r in ipairs(type(result.refused) == "table" and result.refused or {}) do
    table.insert(parts, string.format("left %s as is (%s)", rel(r.path), r.reason))
  end
  return table.concat(parts, "; ")
end

--- A server sentence about "thread <id>" as the user reads it ("this thread").
local function plain(msg)
  return (tostring(msg):gsub("thread [%x%-]+ ", "this thread ", 1))
end

--- When `codex.undoTurn` found nothing to undo (its answer: nothing undone, no turn, the
--- reason in `notes`), that reason as a plain sentence; else nil.
function M.nothing(result)
  if type(result) ~= "table" or result.undone ~= false then
    return nil
  end
  if result.turnId ~= nil and result.turnId ~= vim.NIL then
    return nil -- a turn was found but its files could not be put back
  end
  local notes = type(result.notes) == "table" and result.notes or {}
  local why = type(notes[1]) == "string" and notes[1] or "Nothing to undo in this thread."
  return plain(why)
end

--- A refusal of `codex.undoTurn` (-32602: a server that answers "nothing to undo" with
--- an error, or a turn that is not the last) as a plain sentence; nil for a real failure.
function M.refusal(err)
  if type(err) ~= "table" or err.code ~= INVALID_PARAMS then
    return nil
  end
  local msg = tostring(err.message or "")
  if msg == "" then
    return nil
  end
  if msg:find("has no file changes to undo", 1, true) or msg:find("Nothing to undo", 1, true) then
    msg = plain(msg)
    return msg:find("^Nothing to undo") and msg or ("Nothing to undo: " .. msg)
  end
  if msg:find("already in progress", 1, true) then
    return "An undo of this thread is already running"
  end
  return "Cannot undo: " .. plain(msg)
end

return M
