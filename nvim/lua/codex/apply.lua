-- `workspace/applyEdit` for the codex client, honouring change annotations.
--
-- Edits whose annotation has `needsConfirmation` are reviewed hunk by hunk: each file's
-- proposed text is shown in diff mode against the current buffer, and `vim.ui.select`
-- (kind "codex_hunk") asks per hunk: accept / reject / accept all remaining / reject all.
-- Only the accepted TextEdits (and resource operations) are applied. The server compares the
-- documents afterwards and tells the model which hunks were rejected.
local config = require("codex.config")

local api = vim.api
local M = {}

M.ACCEPT = "Accept this hunk"
M.REJECT = "Reject this hunk"
M.ACCEPT_ALL = "Accept all remaining"
M.REJECT_ALL = "Reject all remaining"
local CHOICES = { M.ACCEPT, M.REJECT, M.ACCEPT_ALL, M.REJECT_ALL }

local function annotation_of(edit, annotations)
  local id = edit.annotationId
  if id == nil or id == vim.NIL then
    return nil
  end
  return annotations[id]
end

local function confirm_needed(edit, annotations)
  local a = annotation_of(edit, annotations)
  return a ~= nil and a.needsConfirmation == true
end

--- Does this WorkspaceEdit ask for confirmation anywhere?
function M.needs_confirmation(edit)
  for _, a in pairs(edit.changeAnnotations or {}) do
    if type(a) == "table" and a.needsConfirmation == true then
      return true
    end
  end
  return false
end

--- Ask through vim.ui.select; inside a coroutine (as LSP server requests are) it waits
--- for an asynchronous UI, outside it works with synchronous UIs only.
local function select(items, opts)
  local co, is_main = coroutine.running()
  if co and not is_main then
    vim.ui.select(items, opts, function(choice)
      vim.schedule(function()
        coroutine.resume(co, choice)
      end)
    end)
    return coroutine.yield()
  end
  local result
  vim.ui.select(items, opts, function(choice)
    result = choice
  end)
  return result
end

local function rel(fname)
  return vim.fn.fnamemodify(fname, ":~:.")
end

local function count_newlines(s)
  local _, n = (s or ""):gsub("\n", "")
  return n
end

local function pos_before(a, b)
  if a.line ~= b.line then
    return a.line < b.line
  end
  return a.character < b.character
end

-- ---------------------------------------------------------------------------------------
-- The diff view: the current buffer (or an empty scratch for a new file) next to a scratch
-- buffer holding the proposed text, both with :diffthis, in a tab of their own.

local function scratch(lines, name, ft)
  local buf = api.nvim_create_buf(false, true)
  vim.bo[buf].bufhidden = "wipe"
  api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  if name then
    pcall(api.nvim_buf_set_name, buf, name)
  end
  if ft and ft ~= "" then
    vim.bo[buf].filetype = ft
  end
  return buf
end

local function current_lines(fname)
  local bufnr = vim.fn.bufnr(fname)
  if bufnr ~= -1 and api.nvim_buf_is_loaded(bufnr) then
    return api.nvim_buf_get_lines(bufnr, 0, -1, false), bufnr
  end
  if vim.fn.filereadable(fname) == 1 then
    return vim.fn.readfile(fname), nil
  end
  return {}, nil
end

local function open_diff(fname, edits, encoding)
  local lines, bufnr = current_lines(fname)
  local ft = vim.filetype.match({ filename = fname }) or ""
  local proposed = scratch(lines, "codex://proposed/" .. fname, ft)
  -- apply_text_edits sorts (and annotates) its argument in place: give it a copy.
  local ok = pcall(vim.lsp.util.apply_text_edits, vim.deepcopy(edits), proposed, encoding)
  vim.bo[proposed].buflisted = false
  vim.bo[proposed].modified = false
  vim.bo[proposed].modifiable = false
  if not ok then
    api.nvim_buf_delete(proposed, { force = true })
    return nil
  end
  local view = { prev_win = api.nvim_get_current_win(), proposed = proposed }
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

local function focus_hunk(view, line)
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

local function close_diff(view)
  if not view then
    return
  end
  if view.left_win and api.nvim_win_is_valid(view.left_win) then
    pcall(api.nvim_win_call, view.left_win, function()
      vim.cmd("diffoff")
    end)
  end
  if api.nvim_tabpage_is_valid(view.tab) then
    local nr = api.nvim_tabpage_get_number(view.tab)
    if #api.nvim_list_tabpages() > 1 then
      pcall(vim.cmd, "tabclose! " .. nr)
    end
  end
  for _, b in ipairs({ view.proposed, view.left_scratch }) do
    if b and api.nvim_buf_is_valid(b) then
      pcall(api.nvim_buf_delete, b, { force = true })
    end
  end
  if api.nvim_win_is_valid(view.prev_win) then
    pcall(api.nvim_set_current_win, view.prev_win)
  end
end

-- ---------------------------------------------------------------------------------------
-- Review

--- Split a WorkspaceEdit into an ordered list of operations.
local function operations(edit)
  local ops = {}
  if edit.documentChanges then
    for _, change in ipairs(edit.documentChanges) do
      if change.kind == "create" or change.kind == "rename" or change.kind == "delete" then
        table.insert(ops, { resource = change })
      else
        table.insert(ops, {
          uri = change.textDocument.uri,
          textDocument = change.textDocument,
          edits = change.edits or {},
        })
      end
    end
  elseif edit.changes then
    local uris = vim.tbl_keys(edit.changes)
    table.sort(uris)
    for _, uri in ipairs(uris) do
      table.insert(ops, { uri = uri, edits = edit.changes[uri] })
    end
  end
  return ops
end

local function resource_prompt(change)
  if change.kind == "create" then
    return "Create " .. rel(vim.uri_to_fname(change.uri))
  elseif change.kind == "delete" then
    return "Delete " .. rel(vim.uri_to_fname(change.uri))
  end
  return string.format(
    "Rename %s to %s",
    rel(vim.uri_to_fname(change.oldUri)),
    rel(vim.uri_to_fname(change.newUri))
  )
end

--- Ask about every change needing confirmation; marks `op.accepted[i]` / `op.accept`.
--- Returns the number of accepted and rejected confirmable changes.
local function review(ops, annotations, encoding, label)
  local bulk = nil ---@type "accept"|"reject"|nil
  local accepted, rejected = 0, 0

  local function decide(prompt, info)
    if bulk then
      return bulk == "accept"
    end
    local choice = select(CHOICES, {
      prompt = prompt,
      kind = "codex_hunk",
      format_item = function(item)
        return item
      end,
      codex = info,
    })
    if choice == M.ACCEPT_ALL then
      bulk = "accept"
    elseif choice == M.REJECT_ALL or choice == nil then
      -- A dismissed prompt rejects this and everything after it.
      bulk = "reject"
    end
    return choice == M.ACCEPT or choice == M.ACCEPT_ALL
  end

  for _, op in ipairs(ops) do
    if op.resource then
      local a = annotation_of(op.resource, annotations)
      if a and a.needsConfirmation == true then
        op.accept = decide(string.format("%s: %s?", label, resource_prompt(op.resource)), {
          kind = "resource",
          change = op.resource,
          annotation = a,
        })
        if op.accept then
          accepted = accepted + 1
        else
          rejected = rejected + 1
        end
      else
        op.accept = true
      end
    else
      op.accepted = {}
      local pending = {}
      for i, e in ipairs(op.edits) do
        if confirm_needed(e, annotations) then
          table.insert(pending, i)
        else
          op.accepted[i] = true
        end
      end
      -- Top to bottom, whatever order the edits came in.
      table.sort(pending, function(a, b)
        return pos_before(op.edits[a].range.start, op.edits[b].range.start)
      end)
      if #pending > 0 then
        local fname = vim.uri_to_fname(op.uri)
        local view = nil
        if not bulk and config.options.review.diff then
          view = open_diff(fname, op.edits, encoding)
        end
        for n, i in ipairs(pending) do
          local e = op.edits[i]
          -- Where this hunk lands in the proposed text.
          local shift = 0
          for _, other in ipairs(op.edits) do
            if other ~= e and pos_before(other.range.start, e.range.start) then
              shift = shift + count_newlines(other.newText)
                - (other.range["end"].line - other.range.start.line)
            end
          end
          local line = e.range.start.line + shift + 1
          focus_hunk(view, line)
          local removed = e.range["end"].line - e.range.start.line
          local added = count_newlines(e.newText)
          local a = annotation_of(e, annotations) or {}
          local prompt = string.format(
            "%s: %s hunk %d/%d at line %d (-%d +%d)",
            a.label or label,
            rel(fname),
            n,
            #pending,
            e.range.start.line + 1,
            removed,
            added
          )
          local ok = decide(prompt, {
            kind = "hunk",
            uri = op.uri,
            index = n,
            total = #pending,
            edit = e,
            annotation = a,
          })
          op.accepted[i] = ok
          if ok then
            accepted = accepted + 1
          else
            rejected = rejected + 1
          end
        end
        close_diff(view)
      end
    end
  end
  return accepted, rejected
end

--- The WorkspaceEdit holding only what was accepted.
local function filtered_edit(edit, ops)
  local skipped_uris = {} -- files whose creation was rejected
  local out = {}
  for _, op in ipairs(ops) do
    if op.resource then
      if op.accept then
        table.insert(out, op.resource)
      elseif op.resource.kind == "create" then
        skipped_uris[op.resource.uri] = true
      end
    elseif not skipped_uris[op.uri] then
      local kept = {}
      for i, e in ipairs(op.edits) do
        if op.accepted[i] then
          table.insert(kept, e)
        end
      end
      if #kept > 0 then
        table.insert(out, { uri = op.uri, textDocument = op.textDocument, edits = kept })
      end
    end
  end
  if edit.documentChanges then
    local changes = {}
    for _, o in ipairs(out) do
      if o.edits then
        table.insert(changes, { textDocument = o.textDocument, edits = o.edits })
      else
        table.insert(changes, o)
      end
    end
    return { documentChanges = changes }
  end
  local changes = {}
  for _, o in ipairs(out) do
    changes[o.uri] = o.edits
  end
  return { changes = changes }
end

--- Buffers of the files an edit touched (after it was applied).
local function touched_buffers(edit)
  local uris = {}
  for _, change in ipairs(edit.documentChanges or {}) do
    if change.kind == "create" then
      uris[change.uri] = true
    elseif change.kind == "rename" then
      uris[change.newUri] = true
    elseif change.textDocument then
      uris[change.textDocument.uri] = true
    end
  end
  for uri in pairs(edit.changes or {}) do
    uris[uri] = true
  end
  local bufs = {}
  for uri in pairs(uris) do
    local fname = vim.uri_to_fname(uri)
    local b = vim.fn.bufnr(fname)
    if b ~= -1 and api.nvim_buf_is_loaded(b) then
      bufs[#bufs + 1] = b
    end
  end
  return bufs
end

--- After applying: keep the server's view in sync (attach the buffers, flush pending
--- didChange notifications) and write the buffers so the disk holds what was approved.
function M.after_apply(client, edit)
  local bufs = touched_buffers(edit)
  for _, b in ipairs(bufs) do
    if vim.bo[b].buftype == "" and client and not client.attached_buffers[b] then
      pcall(vim.lsp.buf_attach_client, b, client.id)
    end
    if config.options.save_after_apply and vim.bo[b].modified then
      local ok, err = pcall(api.nvim_buf_call, b, function()
        vim.cmd("silent noautocmd write")
      end)
      if not ok then
        vim.notify("codex: could not write " .. api.nvim_buf_get_name(b) .. ": " .. tostring(err),
          vim.log.levels.WARN)
      end
    end
  end
  if client then
    -- Pending didChange notifications go out before the answer, so the server sees the
    -- buffers as they are now (private API: guarded).
    local ct = vim.lsp._changetracking
    if ct and ct.flush then
      pcall(ct.flush, client)
    end
  end
  return bufs
end

--- Apply a WorkspaceEdit (after review when it asks for confirmation).
---@return table ApplyWorkspaceEditResult
function M.apply(edit, client, label)
  local encoding = client and client.offset_encoding or "utf-16"
  local to_apply = edit
  if M.needs_confirmation(edit) then
    local ops = operations(edit)
    local accepted, rejected = review(ops, edit.changeAnnotations or {}, encoding, label or "Codex")
    if accepted == 0 and rejected > 0 then
      return { applied = false, failureReason = "rejected by the user" }
    end
    to_apply = filtered_edit(edit, ops)
  end
  local ok, err = pcall(vim.lsp.util.apply_workspace_edit, to_apply, encoding)
  if not ok then
    return { applied = false, failureReason = tostring(err) }
  end
  M.after_apply(client, to_apply)
  return { applied = true }
end

--- The `workspace/applyEdit` handler installed on the codex client.
function M.handler(_, params, ctx)
  local client = ctx and ctx.client_id and vim.lsp.get_client_by_id(ctx.client_id) or nil
  if not (params and params.edit) then
    return { applied = false, failureReason = "no edit" }
  end
  return M.apply(params.edit, client, params.label)
end

return M
