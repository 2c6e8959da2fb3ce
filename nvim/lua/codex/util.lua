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
