-- The diff view of a proposed edit: the file as it is now (its buffer, or an empty scratch
-- for a new file) next to a scratch buffer holding the proposed text, both in diff mode,
-- in a tab of their own.
local api = vim.api
local M = {}

--- A scratch buffer holding `lines`. With `opts.file_like`, 'buftype' is "nowrite"
--- instead of "nofile": its name is then shown relative to the current directory, as a
--- file's is (tab labels, statuslines), and it still cannot be written.
local function scratch(lines, name, ft, opts)
  local buf = api.nvim_create_buf(false, true)
  if opts and opts.file_like then
    vim.bo[buf].buftype = "nowrite"
  end
  vim.bo[buf].bufhidden = "wipe"
  api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  if name then
    if not pcall(api.nvim_buf_set_name, buf, name) then
      -- A leftover of the same name (e.g. an earlier review): keep it unnamed-unique.
      pcall(api.nvim_buf_set_name, buf, name .. " " .. buf)
    end
  end
  if ft and ft ~= "" then
    vim.bo[buf].filetype = ft
  end
  return buf
end
M.scratch = scratch

--- The file's lines as the user sees them (its loaded buffer, else the disk, else none)
--- and its buffer when loaded.
function M.current_lines(fname)
  local bufnr = vim.fn.bufnr(fname)
  if bufnr ~= -1 and api.nvim_buf_is_loaded(bufnr) then
    return api.nvim_buf_get_lines(bufnr, 0, -1, false), bufnr
  end
  if vim.fn.filereadable(fname) == 1 then
    return vim.fn.readfile(fname), nil
  end
  return {}, nil
end

--- Open the diff tab for `fname` with `edits` (TextEdits against the current text) applied
--- to the proposed side. `opts.name`: the proposed buffer's name, a file-like one shown
--- relative to the current directory (default "codex://proposed/<fname>"); `opts.proposed_lines`: the proposed text itself instead
--- of edits (a deletion: {}). Returns the view, or nil when the edits do not apply.
function M.open(fname, edits, encoding, opts)
  opts = opts or {}
  local lines, bufnr = M.current_lines(fname)
  local ft = vim.filetype.match({ filename = fname }) or ""
  local proposed
  local name = opts.name or ("codex://proposed/" .. fname)
  local how = { file_like = opts.name ~= nil }
  if opts.proposed_lines then
    proposed = scratch(opts.proposed_lines, name, ft, how)
  else
    proposed = scratch(lines, name, ft, how)
    -- apply_text_edits sorts (and annotates) its argument in place: give it a copy.
    local ok = pcall(vim.lsp.util.apply_text_edits, vim.deepcopy(edits), proposed, encoding)
    if not ok then
      api.nvim_buf_delete(proposed, { force = true })
      return nil
    end
  end
  vim.bo[proposed].buflisted = false
  vim.bo[proposed].modified = false
  vim.bo[proposed].modifiable = false
  local view = { prev_win = api.nvim_get_current_win(), proposed = proposed, fname = fname }
  if not bufnr and vim.fn.filereadable(fname) == 1 then
    bufnr = vim.fn.bufadd(fname)
    vim.fn.bufload(bufnr)
  end
  local left = bufnr or scratch({}, "codex://current/" .. fname, ft)
  if not bufnr then
    view.left_scratch = left
  end
  -- A tab of our own (not :sbuffer, which 'switchbuf' may send to an existing window).
  local ok_open = pcall(vim.cmd, "tabnew")
  if not ok_open then
    api.nvim_buf_delete(proposed, { force = true })
    return nil
  end
  local empty = api.nvim_get_current_buf()
  view.tab = api.nvim_get_current_tabpage()
  view.left_win = api.nvim_get_current_win()
  api.nvim_win_set_buf(view.left_win, left)
  if empty ~= left and api.nvim_buf_is_valid(empty) and api.nvim_buf_get_name(empty) == ""
    and not vim.bo[empty].modified then
    pcall(api.nvim_buf_delete, empty, { force = true })
  end
  vim.cmd("diffthis")
  view.right_win = api.nvim_open_win(proposed, true, { split = "right", win = view.left_win })
  vim.cmd("diffthis")
  pcall(vim.cmd, "redraw")
  return view
end

--- Put the cursor on line `line` of the proposed side (opening folds around it).
function M.focus(view, line)
  if not (view and api.nvim_win_is_valid(view.right_win)) then
    return
  end
  local count = api.nvim_buf_line_count(view.proposed)
  line = math.max(1, math.min(line, count))
  pcall(api.nvim_set_current_win, view.right_win)
  pcall(api.nvim_win_set_cursor, view.right_win, { line, 0 })
  pcall(vim.cmd, "normal! zvzz")
  pcall(vim.cmd, "redraw")
end

--- Close the diff tab and its scratch buffers; back to the window the user was in.
function M.close(view)
  if not view then
    return
  end
  if view.left_win and api.nvim_win_is_valid(view.left_win) then
    pcall(api.nvim_win_call, view.left_win, function()
      vim.cmd("diffoff")
      vim.wo.winbar = ""
    end)
  end
  if view.tab and api.nvim_tabpage_is_valid(view.tab) then
    local nr = api.nvim_tabpage_get_number(view.tab)
    if #api.nvim_list_tabpages() > 1 then
      pcall(vim.cmd, "tabclose! " .. nr)
    end
  end
  if view.right_win and api.nvim_win_is_valid(view.right_win) then
    -- The review's tab was the last one (the user closed the others): close its side.
    pcall(api.nvim_win_close, view.right_win, true)
  end
  for _, b in ipairs({ view.proposed, view.left_scratch }) do
    if b and api.nvim_buf_is_valid(b) then
      pcall(api.nvim_buf_delete, b, { force = true })
    end
  end
  if view.prev_win and api.nvim_win_is_valid(view.prev_win) then
    pcall(api.nvim_set_current_win, view.prev_win)
  end
end

return M
