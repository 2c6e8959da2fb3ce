-- Helpers shared by tests/nvim/test_editor_ux.lua and test_editor_ux_restart.lua.
local H = require("harness")

local M = {}

--- The chat's card line of the file change of `paths` ("" if none): the first one, or
--- the last one with `last`.
function M.card(paths, last)
  local needle = "### ✎ " .. paths .. "  · "
  local found = ""
  for _, l in ipairs(vim.split(require("codex.chat").text(), "\n", { plain = true })) do
    if l:find(needle, 1, true) then
      if not last then
        return l
      end
      found = l
    end
  end
  return found
end

--- Wait until the card of `paths` ends with `words` (after "· completed · "); whether it did.
function M.await_card(paths, words, what)
  local ok = H.wait(5000, function()
    return vim.endswith(M.card(paths), "· completed · " .. words)
  end, what or words)
  return H.ok(ok, what or ("the card says " .. words), M.card(paths))
end

--- Run `start(cb)` (an API taking a callback) and wait for the callback: its arguments.
function M.call(what, start, ms)
  local args = nil
  start(function(...)
    args = { ... }
  end)
  H.require(H.wait(ms or 30000, function()
    return args ~= nil
  end, what), what .. " answered")
  return unpack(args)
end

--- :CodexUndo through the API: (result, err).
function M.undo()
  return M.call("codex.undoTurn", function(cb)
    require("codex").undo(cb)
  end)
end

--- Wait for the hunk review of an edit to open: the review in progress.
function M.await_review()
  local review = require("codex.hunk_review")
  H.require(H.wait(30000, function()
    return review.current ~= nil and review.current.view ~= nil
  end, "the review"), "the review opened")
  return review.current
end

return M
