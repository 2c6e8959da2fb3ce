-- The chat input: a multi-line buffer under the chat (`codex://input`) sent with a key.
--
-- References in the text become inputs of their own (the text is sent as typed):
--   #buffer     the file buffer you came from, whole  -> {type = "document", uri}
--   #selection  its last visual selection             -> {type = "document", uri, range}
--   @path       a file or folder (relative to the workspace) -> {type = "mention", name, path}
-- An `@word` that names no file stays plain text.
local config = require("codex.config")
local util = require("codex.util")

local api = vim.api
local M = {}

M.buf = nil ---@type integer|nil
M.source = nil ---@type integer|nil  the file buffer #buffer and #selection refer to
M.history = {} ---@type string[]  what was sent, oldest first

local function is_file_buf(b)
  return b and api.nvim_buf_is_valid(b) and vim.bo[b].buftype == "" and api.nvim_buf_get_name(b) ~= ""
end

-- The last file buffer entered is what #buffer and #selection mean.
local group = api.nvim_create_augroup("codex.input", { clear = true })
api.nvim_create_autocmd("BufEnter", {
  group = group,
  callback = function(args)
    if is_file_buf(args.buf) then
      M.source = args.buf
    end
  end,
})

--- The buffer #buffer and #selection refer to: the last file buffer entered, else a file
--- window's buffer in this tab.
function M.source_buf()
  if is_file_buf(M.source) then
    return M.source
  end
  for _, w in ipairs(api.nvim_tabpage_list_wins(0)) do
    local b = api.nvim_win_get_buf(w)
    if is_file_buf(b) then
      return b
    end
  end
  return nil
end

-- ---------------------------------------------------------------------------------------
-- References

local function root()
  local c = require("codex").get_client()
  return (c and (c.root_dir or (c.config and c.config.root_dir))) or vim.fn.getcwd()
end

--- The path an `@name` names (absolute), or nil when no such file or folder exists.
local function resolve(name)
  name = name:gsub("[%.,;:!?%)%]]+$", "") -- punctuation after the name
  if name == "" then
    return nil
  end
  local candidates = {}
  if name:sub(1, 1) == "/" or name:sub(1, 1) == "~" then
    candidates = { vim.fn.expand(name) }
  else
    candidates = { root() .. "/" .. name, vim.fn.getcwd() .. "/" .. name }
  end
  for _, p in ipairs(candidates) do
    p = vim.fs.normalize(p)
    if vim.uv.fs_stat(p) then
      return p, name
    end
  end
  return nil
end

--- The UserInput values the references of `text` stand for, or nil and an error.
---@return table[]|nil inputs, string|nil err
function M.references(text)
  local inputs, seen = {}, {}
  local function add(key, input)
    if not seen[key] then
      seen[key] = true
      table.insert(inputs, input)
    end
  end
  local padded = " " .. text .. " "
  local wants_buffer = padded:find("[%s%(]#buffer[%s%.,;:!?%)]") ~= nil
  local wants_selection = padded:find("[%s%(]#selection[%s%.,;:!?%)]") ~= nil
  if wants_buffer or wants_selection then
    local src = M.source_buf()
    if not src then
      return nil, "#buffer and #selection need a file buffer to refer to (none was entered yet)"
    end
    local name = vim.fn.fnamemodify(api.nvim_buf_get_name(src), ":~:.")
    if wants_buffer then
      add("buffer", { type = "document", uri = vim.uri_from_bufnr(src) })
    end
    if wants_selection then
      local s = api.nvim_buf_get_mark(src, "<")
      local e = api.nvim_buf_get_mark(src, ">")
      if s[1] == 0 or e[1] == 0 then
        return nil, "#selection: " .. name .. " has no visual selection"
      end
      local codex = require("codex")
      add("selection", codex.selection_input(src, s[1], e[1], codex.get_client()))
    end
  end
  for word in padded:gmatch("[%s%(]@([^%s]+)") do
    local path, name = resolve(word)
    if path then
      add("mention:" .. path, { type = "mention", name = name, path = path })
    end
  end
  return inputs
end

--- Completion for the input buffer (omnifunc): `@` completes paths, `#` the references.
function M.complete(findstart, base)
  if findstart == 1 then
    local col = api.nvim_win_get_cursor(0)[2]
    local before = api.nvim_get_current_line():sub(1, col)
    local start = before:find("[@#][^%s]*$")
    return start and (start - 1) or -3
  end
  local out = {}
  if base:sub(1, 1) == "#" then
    for _, word in ipairs({ "#buffer", "#selection" }) do
      if vim.startswith(word, base) then
        table.insert(out, word)
      end
    end
  elseif base:sub(1, 1) == "@" then
    local prefix = base:sub(2)
    local dir = root()
    local matches = vim.fn.globpath(dir, prefix .. "*", false, true)
    table.sort(matches)
    for _, p in ipairs(matches) do
      local relp = p:sub(#dir + 2)
      if vim.fn.isdirectory(p) == 1 then
        relp = relp .. "/"
      end
      table.insert(out, "@" .. relp)
    end
  end
  return out
end

-- ---------------------------------------------------------------------------------------
-- The buffer and its window

--- Send what the input holds (with its references); the input is emptied.
function M.submit()
  local buf = M.buf
  if not (buf and api.nvim_buf_is_valid(buf)) then
    return false
  end
  local lines = api.nvim_buf_get_lines(buf, 0, -1, false)
  local text = vim.trim(table.concat(lines, "\n"))
  if text == "" then
    util.notify("nothing to send: type your message first", vim.log.levels.WARN)
    return false
  end
  local refs, err = M.references(text)
  if not refs then
    util.notify(err, vim.log.levels.WARN)
    return false
  end
  table.insert(M.history, text)
  api.nvim_buf_set_lines(buf, 0, -1, false, {})
  local docs = vim.tbl_filter(function(i)
    return i.type == "document"
  end, refs)
  require("codex").ask(text, refs, #docs > 0 and M.source_buf() or nil)
  return true
end

--- Put the previous (`-1`) or next (`1`) sent text in the input.
local function recall(delta)
  local n = #M.history
  if n == 0 then
    return
  end
  M.recall_index = math.max(1, math.min((M.recall_index or (n + 1)) + delta, n + 1))
  local text = M.history[M.recall_index] or ""
  api.nvim_buf_set_lines(M.buf, 0, -1, false, vim.split(text, "\n", { plain = true }))
end

local function set_keymaps(buf)
  local o = config.options.chat.input
  local function map(mode, lhs, fn, desc)
    if lhs and lhs ~= "" then
      vim.keymap.set(mode, lhs, fn, { buffer = buf, nowait = true, silent = true, desc = "Codex: " .. desc })
    end
  end
  map("n", o.submit, M.submit, "send the message")
  map({ "n", "i" }, o.submit_insert, function()
    vim.cmd("stopinsert")
    M.submit()
  end, "send the message")
  map("n", "<C-c>", function()
    require("codex").interrupt()
  end, "interrupt the turn")
  map("n", "q", function()
    require("codex.chat").close()
  end, "close the chat")
  map("n", "<C-p>", function()
    recall(-1)
  end, "previous message")
  map("n", "<C-n>", function()
    recall(1)
  end, "next message")
end

--- The input buffer (created on first use).
function M.get_buf()
  if M.buf and api.nvim_buf_is_valid(M.buf) then
    return M.buf
  end
  local buf = require("codex.util").scratch_buf("codex://input")
  vim.bo[buf].filetype = "codex_input"
  vim.bo[buf].omnifunc = "v:lua.require'codex.input'.complete"
  set_keymaps(buf)
  M.buf = buf
  return buf
end

--- The window showing the input in the current tab, if any.
function M.win()
  return util.buf_win(M.buf)
end

local function hint()
  local o = config.options.chat.input
  return string.format("%%#CodexInputHint# Send: %s, or %s in Normal mode · @file #buffer #selection",
    o.submit_insert:gsub("%%", "%%%%"), o.submit:gsub("%%", "%%%%"))
end

--- Open the input under the chat window `chat_win` (when it is not open yet).
function M.open(chat_win)
  if not config.options.chat.input.enabled then
    return nil
  end
  local win = M.win()
  if win then
    return win
  end
  local buf = M.get_buf()
  win = api.nvim_open_win(buf, false, {
    split = "below",
    win = chat_win,
    height = config.options.chat.input.height or 6,
  })
  local wo = vim.wo[win]
  wo.winfixheight = true
  wo.wrap = true
  wo.linebreak = true
  wo.number = false
  wo.relativenumber = false
  wo.signcolumn = "no"
  wo.winbar = hint()
  return win
end

--- Focus the input (opening the chat when needed); `insert`: start Insert mode.
function M.focus(insert)
  local chat = require("codex.chat")
  local chat_win = chat.open({ focus = false })
  local win = M.win() or M.open(chat_win)
  if not win then
    return nil
  end
  api.nvim_set_current_win(win)
  if insert then
    vim.cmd("startinsert!")
  end
  return win
end

function M.close()
  local win = M.win()
  if win and #api.nvim_list_wins() > 1 then
    api.nvim_win_close(win, false)
  end
end

return M
