-- `workspace/applyEdit` for the codex client, honouring change annotations.
--
-- Edits whose annotation has `needsConfirmation` are reviewed hunk by hunk, each file's
-- proposed text in diff mode against the current buffer: with buffer-local keys and Neovim
-- usable meanwhile (codex.hunk_review, `review.ui = "keys"`), or with one `vim.ui.select`
-- prompt (kind "codex_hunk") per hunk: accept / reject / accept all remaining / reject all
-- (`review.ui = "select"`). Only the accepted TextEdits (and resource operations) are
-- applied. The server compares the documents afterwards and tells the model which hunks
-- were rejected; the chat card of the change says how many hunks were applied.
local config = require("codex.config")
local diffview = require("codex.diffview")
local state = require("codex.state")

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

--- Count a decision: in `totals` ({accepted, rejected}) and in `file` ({accepted, total}).
local function tally(totals, file, ok)
  if ok then
    totals.accepted = totals.accepted + 1
  else
    totals.rejected = totals.rejected + 1
  end
  if file then
    file.total = file.total + 1
    file.accepted = file.accepted + (ok and 1 or 0)
  end
end

--- Where edit `e` lands in the proposed text (1-based line), all of `edits` applied.
local function proposed_line(edits, e)
  local shift = 0
  for _, other in ipairs(edits) do
    if other ~= e and pos_before(other.range.start, e.range.start) then
      shift = shift + count_newlines(other.newText) - (other.range["end"].line - other.range.start.line)
    end
  end
  return e.range.start.line + shift + 1
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
  local totals = { accepted = 0, rejected = 0 }
  local files = {} -- fname -> {accepted, total}: for the chat card

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
        tally(totals, nil, op.accept)
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
          view = diffview.open(fname, op.edits, encoding)
        end
        local file = files[fname] or { accepted = 0, total = 0 }
        files[fname] = file
        for n, i in ipairs(pending) do
          local e = op.edits[i]
          diffview.focus(view, proposed_line(op.edits, e))
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
          tally(totals, file, ok)
        end
        diffview.close(view)
      end
    end
  end
  return totals.accepted, totals.rejected, files
end

--- The review with keys in the diff tab (codex.hunk_review): one unit per file, its hunks
--- (text edits, or the creation, deletion or renaming of the file) decided there. Marks
--- `op.accepted[i]` / `op.accept` like `review`.
local function review_with_keys(ops, annotations, encoding)
  local units, by_uri = {}, {}
  local function unit_for(uri)
    local u = by_uri[uri]
    if not u then
      u = { uri = uri, fname = vim.uri_to_fname(uri), edits = {}, hunks = {} }
      by_uri[uri] = u
      table.insert(units, u)
    end
    return u
  end
  for _, op in ipairs(ops) do
    if op.resource then
      local r = op.resource
      local a = annotation_of(r, annotations)
      if a and a.needsConfirmation == true then
        local u = unit_for(r.kind == "rename" and r.oldUri or r.uri)
        u[r.kind] = op
      else
        op.accept = true
      end
    else
      op.accepted = {}
      local u = unit_for(op.uri)
      vim.list_extend(u.edits, op.edits)
      for i, e in ipairs(op.edits) do
        if confirm_needed(e, annotations) then
          table.insert(u.hunks, { op = op, i = i, edit = e })
        else
          op.accepted[i] = true
        end
      end
    end
  end
  local reviewed = {}
  for _, u in ipairs(units) do
    table.sort(u.hunks, function(a, b)
      return pos_before(a.edit.range.start, b.edit.range.start)
    end)
    for _, h in ipairs(u.hunks) do
      local removed = h.edit.range["end"].line - h.edit.range.start.line
      local added = count_newlines(h.edit.newText)
      h.first = proposed_line(u.edits, h.edit)
      h.last = h.first + math.max(added, 1) - 1
      h.label = string.format("line %d (-%d +%d)", h.edit.range.start.line + 1, removed, added)
    end
    -- The file operation itself: a hunk of its own unless the file's text hunks decide it
    -- (a new file is created when any of its hunks is accepted).
    local function resource_hunk(op, label)
      table.insert(u.hunks, 1, { resource = op, first = 1, last = 1, label = label })
    end
    if u.delete then
      u.proposed_lines = {}
      resource_hunk(u.delete, "delete the file")
    elseif u.rename then
      u.note = "renamed to " .. rel(vim.uri_to_fname(u.rename.resource.newUri))
      resource_hunk(u.rename, u.note)
    elseif u.create and #u.hunks == 0 then
      resource_hunk(u.create, "create an empty file")
    end
    if #u.hunks > 0 then
      table.insert(reviewed, u)
    elseif u.create then
      u.create.accept = true
    end
  end
  require("codex.hunk_review").run(reviewed, { encoding = encoding })
  local totals, files = { accepted = 0, rejected = 0 }, {}
  for _, u in ipairs(reviewed) do
    local file = { accepted = 0, total = 0 }
    local any = false
    for _, h in ipairs(u.hunks) do
      if h.resource then
        h.resource.accept = h.decision
      else
        h.op.accepted[h.i] = h.decision
        any = any or h.decision
      end
      tally(totals, file, h.decision)
    end
    if u.create and not u.create.accept and #u.hunks > 0 and not u.hunks[1].resource then
      u.create.accept = any
    end
    files[u.fname] = file
  end
  return totals.accepted, totals.rejected, files
end

--- "keys" or "select": how this edit is reviewed (`review.ui`; "keys" needs a coroutine,
--- as server requests run in, to wait for the user).
function M.review_ui()
  local ui = config.options.review.ui or "auto"
  if ui == "auto" then
    ui = #api.nvim_list_uis() > 0 and "keys" or "select"
  end
  local co, is_main = coroutine.running()
  if ui == "keys" and not (co and not is_main) then
    ui = "select"
  end
  return ui
end

--- The fileChange item of the active thread whose edit this is (the one in progress).
local function running_file_change()
  local found = nil
  for id, kind in pairs(state.running_items) do
    if kind == "fileChange" then
      if found then
        return nil -- more than one: cannot tell
      end
      found = id
    end
  end
  return found
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
    local item = running_file_change()
    local chat = require("codex.chat")
    local entry = item and chat.get(item)
    local ui = M.review_ui()
    if entry and ui == "keys" then
      chat.update(entry, { reviewing = true })
    end
    local accepted, rejected, files
    if ui == "keys" then
      accepted, rejected, files = review_with_keys(ops, edit.changeAnnotations or {}, encoding)
    else
      accepted, rejected, files = review(ops, edit.changeAnnotations or {}, encoding, label or "Codex")
    end
    if item then
      state.reviews[item] = { files = files }
    end
    if entry then
      chat.update(entry, { reviewing = false })
    end
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
