-- The hunk review of an edit, without a modal prompt: each file opens in a diff tab (the
-- file now, the proposed text), and buffer-local keys in the proposed text's window accept
-- or reject the hunk under the cursor, move between hunks, accept or reject the rest, or
-- finish. A winbar shows where you are and the keys. Neovim stays usable meanwhile: the
-- review waits (the `workspace/applyEdit` request is answered when it is done).
--
-- `run(units, opts)` must be called inside a coroutine (server requests are); it returns
-- once every hunk has a decision (`hunk.decision`, true or false).
local config = require("codex.config")
local diffview = require("codex.diffview")

local api = vim.api
local M = {}

local ns = api.nvim_create_namespace("codex.hunk_review")

--- The review in progress, if any: {units, unit, view, co, finished, label}.
M.current = nil
local waiting = {} -- coroutines of later reviews, in order

local function rel(fname)
  return vim.fn.fnamemodify(fname, ":~:.")
end

local function bar_escape(s)
  return (tostring(s):gsub("%%", "%%%%"))
end

local function keys()
  return config.options.review.keys
end

local function unit_of(r)
  return r and r.units[r.unit]
end

local function counts(unit)
  local a, rj, open = 0, 0, 0
  for _, h in ipairs(unit.hunks) do
    if h.decision == true then
      a = a + 1
    elseif h.decision == false then
      rj = rj + 1
    else
      open = open + 1
    end
  end
  return a, rj, open
end

local ACTIONS -- the review's actions, in the order the help lists them (below)

--- The key list, as `help` shows it: {key, what it does}.
function M.key_help()
  return vim.tbl_map(function(a)
    return { keys()[a.name], a.desc }
  end, ACTIONS)
end

--- The winbar of the proposed side says where you are; its statusline lists the keys
--- (the file's side: its name).
local function bars(r)
  local unit = unit_of(r)
  local view = r.view
  if not (unit and view) then
    return
  end
  local a, rj, open = counts(unit)
  local parts = { rel(unit.fname) .. (unit.note and (" (" .. unit.note .. ")") or "") .. " · proposed" }
  if #r.units > 1 then
    table.insert(parts, string.format("file %d/%d", r.unit, #r.units))
  end
  if unit.hunks[r.cur] then
    table.insert(parts, string.format("hunk %d/%d", r.cur, #unit.hunks))
  end
  table.insert(parts, string.format("%d accepted · %d rejected · %d to decide", a, rj, open))
  local k = keys()
  local help = string.format(" %s accept  %s reject  %s/%s next/prev  %s/%s accept/reject all  %s finish  %s help",
    k.accept, k.reject, k.next, k.prev, k.accept_all, k.reject_all, k.finish, k.help)
  if api.nvim_win_is_valid(view.right_win) then
    vim.wo[view.right_win].winbar = "%#CodexReviewTitle# " .. bar_escape(table.concat(parts, " · ")) .. "%*"
    vim.wo[view.right_win].statusline = "%#CodexReviewKeys#" .. bar_escape(help) .. "%*"
  end
  if api.nvim_win_is_valid(view.left_win) then
    vim.wo[view.left_win].winbar = "%#CodexReviewTitle# " .. bar_escape(rel(unit.fname)) .. "%* · now"
  end
end

local SIGNS = {
  [true] = { "✓", "CodexReviewAccepted", "accepted" },
  [false] = { "✗", "CodexReviewRejected", "rejected" },
}

local function marks(r)
  local unit, view = unit_of(r), r.view
  if not (unit and view and api.nvim_buf_is_valid(view.proposed)) then
    return
  end
  api.nvim_buf_clear_namespace(view.proposed, ns, 0, -1)
  local count = api.nvim_buf_line_count(view.proposed)
  for i, h in ipairs(unit.hunks) do
    local sign = SIGNS[h.decision] or { "?", "CodexReviewPending", "to decide" }
    local row = math.max(0, math.min(h.first, count) - 1)
    local text = string.format(" ◀ hunk %d/%d · %s%s", i, #unit.hunks, sign[3], i == r.cur and " (current)" or "")
    if h.label then
      text = text .. " · " .. h.label
    end
    pcall(api.nvim_buf_set_extmark, view.proposed, ns, row, 0, {
      sign_text = sign[1],
      sign_hl_group = sign[2],
      virt_text = { { text, sign[2] } },
      virt_text_pos = "eol",
    })
  end
end

local function refresh(r)
  marks(r)
  bars(r)
end

local function focus_current(r)
  local unit = unit_of(r)
  local h = unit and unit.hunks[r.cur]
  if h then
    diffview.focus(r.view, h.first)
  end
  refresh(r)
end

--- The hunk under the cursor in the proposed window (else the current one).
local function hunk_at_cursor(r)
  local unit = unit_of(r)
  if not unit then
    return nil
  end
  local win = api.nvim_get_current_win()
  if r.view and win == r.view.right_win then
    local line = api.nvim_win_get_cursor(win)[1]
    for i, h in ipairs(unit.hunks) do
      if line >= h.first and line <= h.last then
        return i
      end
    end
  end
  return r.cur
end

local function close_view(r)
  if r.view then
    r.closing = true
    diffview.close(r.view)
    r.closing = false
    r.view = nil
  end
end

--- Give every hunk still to decide of units[from..] the decision `value`.
local function settle(units, from, value)
  for k = from, #units do
    for _, h in ipairs(units[k].hunks) do
      if h.decision == nil then
        h.decision = value
      end
    end
  end
end

local function finish(r)
  if r.finished then
    return
  end
  r.finished = true
  close_view(r)
  settle(r.units, 1, false)
  if r.waiting then
    vim.schedule(function()
      coroutine.resume(r.co)
    end)
  end
end

local set_keymaps

--- Show the next file with hunks (or finish when there is none).
local function next_unit(r)
  close_view(r)
  while true do
    r.unit = r.unit + 1
    local unit = r.units[r.unit]
    if not unit then
      return finish(r)
    end
    local _, _, open = counts(unit)
    if open > 0 then
      pcall(vim.cmd, "stopinsert")
      local view = diffview.open(unit.fname, unit.edits, r.encoding, {
        -- Relative, as a file's name is shown: the tab is labelled with it.
        name = vim.fn.fnamemodify(unit.fname, ":.") .. " (proposed)",
        proposed_lines = unit.proposed_lines,
      })
      if view then
        r.view = view
        vim.wo[view.right_win].signcolumn = "yes"
        r.cur = 1
        for i, h in ipairs(unit.hunks) do
          if h.decision == nil then
            r.cur = i
            break
          end
        end
        set_keymaps(r, view.proposed)
        focus_current(r)
        return
      end
      vim.notify("codex: the proposed change of " .. rel(unit.fname)
        .. " cannot be shown; its hunks are left out", vim.log.levels.WARN)
      settle({ unit }, 1, false)
    end
  end
end

--- Decide hunk `i` of the current file; then the next undecided hunk, or the next file.
local function decide(r, value, i)
  local unit = unit_of(r)
  i = i or hunk_at_cursor(r)
  local h = unit and unit.hunks[i]
  if not h then
    return
  end
  h.decision = value
  local n = #unit.hunks
  for step = 1, n do
    local j = (i + step - 1) % n + 1
    if unit.hunks[j].decision == nil then
      r.cur = j
      return focus_current(r)
    end
  end
  next_unit(r)
end

--- Decide every undecided hunk of this and the later files, and finish.
local function decide_all(r, value)
  settle(r.units, r.unit, value)
  finish(r)
end

local function jump(r, forward)
  local unit = unit_of(r)
  if not unit then
    return
  end
  local line = api.nvim_win_get_cursor(0)[1]
  local target = nil
  if forward then
    for i, h in ipairs(unit.hunks) do
      if h.first > line then
        target = i
        break
      end
    end
    target = target or 1
  else
    for i = #unit.hunks, 1, -1 do
      if unit.hunks[i].first < line then
        target = i
        break
      end
    end
    target = target or #unit.hunks
  end
  r.cur = target
  focus_current(r)
end

local function help()
  local lines = { "codex: review keys (in the proposed text's window):" }
  for _, pair in ipairs(M.key_help()) do
    table.insert(lines, string.format("  %-6s %s", pair[1], pair[2]))
  end
  vim.notify(table.concat(lines, "\n"), vim.log.levels.INFO)
end

-- {name (in review.keys), what it does, fn(review, arg), arg}
ACTIONS = {
  { name = "accept", desc = "accept the hunk", fn = decide, arg = true },
  { name = "reject", desc = "reject the hunk", fn = decide, arg = false },
  { name = "next", desc = "next hunk", fn = jump, arg = true },
  { name = "prev", desc = "previous hunk", fn = jump, arg = false },
  { name = "accept_all", desc = "accept every hunk still to decide and finish", fn = decide_all, arg = true },
  { name = "reject_all", desc = "reject every hunk still to decide and finish", fn = decide_all, arg = false },
  { name = "finish", desc = "finish (hunks still to decide are rejected)", fn = finish },
  { name = "help", desc = "list the keys", fn = help },
}

function set_keymaps(r, buf)
  for _, a in ipairs(ACTIONS) do
    local lhs = keys()[a.name]
    if lhs and lhs ~= "" then
      vim.keymap.set("n", lhs, function()
        if M.current == r and not r.finished then
          a.fn(r, a.arg)
        end
      end, { buffer = buf, nowait = true, silent = true, desc = "Codex review: " .. a.desc })
    end
  end
  -- Closing the review (:tabclose, :q in the proposed window) finishes it.
  api.nvim_create_autocmd("BufWipeout", {
    buffer = buf,
    once = true,
    callback = function()
      if not r.closing and M.current == r then
        -- The rest of the view (the file's side in diff mode) closes with it.
        vim.schedule(function()
          finish(r)
        end)
      end
    end,
  })
end

--- Review `units` (see apply.lua): each {fname, edits | proposed_lines, note?, hunks =
--- {{first, last, label?}...}}. Waits (yielding the running coroutine) until every hunk
--- has `decision`; a review already open goes first.
function M.run(units, opts)
  opts = opts or {}
  local co = coroutine.running()
  if M.current then
    table.insert(waiting, co)
    coroutine.yield()
  end
  local r = { units = units, unit = 0, co = co, encoding = opts.encoding or "utf-16", cur = 1 }
  M.current = r
  next_unit(r)
  if not r.finished then
    r.waiting = true
    coroutine.yield()
  end
  M.current = nil
  local later = table.remove(waiting, 1)
  if later then
    vim.schedule(function()
      coroutine.resume(later)
    end)
  end
end

--- Go back to the review in progress (its diff tab). False when there is none.
function M.focus()
  local r = M.current
  if not (r and r.view and api.nvim_tabpage_is_valid(r.view.tab)) then
    return false
  end
  api.nvim_set_current_tabpage(r.view.tab)
  focus_current(r)
  return true
end

return M
