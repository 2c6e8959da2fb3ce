-- Small helpers shared by the plugin's modules.
local M = {}

--- `v`, or nil when it is vim.NIL (a JSON null).
function M.nonnull(v)
  if v == vim.NIL then
    return nil
  end
  return v
end

--- vim.notify with the "codex: " prefix.
function M.notify(msg, level)
  vim.notify("codex: " .. msg, level or vim.log.levels.INFO)
end

--- How full the context window is (0-100, rounded) by a TokenUsage's `last.totalTokens`,
--- or nil when the usage does not say.
function M.context_percent(usage)
  if type(usage) ~= "table" then
    return nil
  end
  local last = type(usage.last) == "table" and usage.last or {}
  local window = M.nonnull(usage.modelContextWindow)
  if type(window) ~= "number" or window <= 0 or type(last.totalTokens) ~= "number" then
    return nil
  end
  return math.floor(last.totalTokens * 100 / window + 0.5)
end

--- Every page of a list request (`{cursor, limit = 100}` -> `{data, nextCursor}`),
--- at most `max_pages`: `cb(items)`, or `cb(nil, err)` when a page failed (reported).
function M.list_all(client, method, max_pages, cb)
  local all, pages = {}, 0
  local function page(cursor)
    pages = pages + 1
    require("codex").request(client, method, { cursor = cursor, limit = 100 }, function(result, err)
      if not result then
        return cb(nil, err)
      end
      vim.list_extend(all, result.data or {})
      local next_cursor = M.nonnull(result.nextCursor)
      if next_cursor and pages < max_pages then
        return page(next_cursor)
      end
      cb(all)
    end)
  end
  page(nil)
end

--- Ask for a line of text (vim.ui.input); `fn(text)` runs unless it is dismissed or blank.
function M.input(prompt, fn)
  vim.ui.input({ prompt = prompt }, function(text)
    if text and vim.trim(text) ~= "" then
      fn(text)
    end
  end)
end

--- A new scratch buffer of the plugin named `name` (not a file, kept when hidden).
function M.scratch_buf(name)
  local buf = vim.api.nvim_create_buf(false, true)
  pcall(vim.api.nvim_buf_set_name, buf, name)
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "hide"
  vim.bo[buf].swapfile = false
  return buf
end

--- A read-only markdown view (:CodexMcp, :CodexRules): buffer `name` (created when
--- `buf` is not valid) with buffer-local normal-mode keys `maps` ({lhs, fn, desc}).
function M.view_buf(buf, name, maps)
  if buf and vim.api.nvim_buf_is_valid(buf) then
    return buf
  end
  buf = M.scratch_buf(name)
  vim.bo[buf].filetype = "markdown"
  vim.bo[buf].modifiable = false
  for _, m in ipairs(maps) do
    vim.keymap.set("n", m[1], m[2], { buffer = buf, nowait = true, silent = true, desc = m[3] })
  end
  return buf
end

--- Replace the lines of a view buffer; `vars` become buffer variables.
function M.set_view_lines(buf, lines, vars)
  if not (buf and vim.api.nvim_buf_is_valid(buf)) then
    return
  end
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
  for k, v in pairs(vars or {}) do
    vim.b[buf][k] = v
  end
end

--- Show a view buffer in a split below (`height` lines at least, a third of the screen),
--- or go to its window; `placeholder` lines until it is filled.
function M.show_view(buf, height, placeholder)
  local win = M.buf_win(buf)
  if not win then
    vim.cmd("botright split")
    win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(win, buf)
    vim.api.nvim_win_set_height(win, math.max(height, math.floor(vim.o.lines / 3)))
    vim.wo[win].wrap = false
    vim.wo[win].number = false
    vim.wo[win].relativenumber = false
  else
    vim.api.nvim_set_current_win(win)
  end
  M.set_view_lines(buf, placeholder)
end

--- Close the window of a view buffer (unless it is the last one of the tab).
function M.close_view(buf)
  local win = M.buf_win(buf)
  if win and #vim.api.nvim_tabpage_list_wins(0) > 1 then
    vim.api.nvim_win_close(win, true)
  end
end

--- Make module `view` (with `buf` and `refresh(cb)`) a view named `name`: it gets
--- `view.open(cb)` (a split below, `opts.placeholder` until `refresh` fills it) and
--- `view.close()`, and its buffer the keys q (close), <CR> (refresh), g? (`opts.help`)
--- and `opts.maps` ({lhs, fn, desc}).
function M.make_view(view, name, opts)
  local maps = {
    { "q", function()
      view.close()
    end, "close" },
    { "<CR>", function()
      view.refresh()
    end, "refresh" },
    { "g?", function()
      M.notify(opts.help)
    end, "keys" },
  }
  vim.list_extend(maps, opts.maps or {})
  function view.open(cb)
    view.buf = M.view_buf(view.buf, name, maps)
    M.show_view(view.buf, opts.height or 8, opts.placeholder)
    view.refresh(cb)
  end
  function view.close()
    M.close_view(view.buf)
  end
end

--- `{[lnum] = v}` -> `{["lnum"] = v}` (buffer variables keep string keys only).
function M.keyed_by_line(at)
  local keyed = {}
  for lnum, v in pairs(at) do
    keyed[tostring(lnum)] = v
  end
  return keyed
end

--- The value buffer variable `var` (set with `keyed_by_line`) holds for the cursor's line.
function M.at_cursor(buf, var)
  local keyed = buf and vim.api.nvim_buf_is_valid(buf) and vim.b[buf][var] or {}
  return keyed[tostring(vim.api.nvim_win_get_cursor(0)[1])]
end

--- The window showing buffer `buf` in the current tab, if any.
function M.buf_win(buf)
  if not (buf and vim.api.nvim_buf_is_valid(buf)) then
    return nil
  end
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(win) == buf then
      return win
    end
  end
  return nil
end

return M
