-- codex.nvim: a Neovim front end for codex-lsp (see :help codex).
local config = require("codex.config")
local state = require("codex.state")
local chat = require("codex.chat")

local api = vim.api
local M = {}

M.did_setup = false

local has_011 = vim.fn.has("nvim-0.11") == 1

local util = require("codex.util")
local nonnull, notify = util.nonnull, util.notify

--- Client capabilities: the agent UI this plugin provides.
function M.capabilities()
  local caps = {
    experimental = {
      codex = { approvals = false, deltas = config.options.deltas ~= false },
    },
    workspace = {
      applyEdit = true,
      workspaceEdit = {
        documentChanges = true,
        resourceOperations = { "create", "rename", "delete" },
        changeAnnotationSupport = { groupsOnLabel = true },
      },
    },
  }
  return vim.tbl_deep_extend("force", caps, config.options.capabilities or {})
end

--- `window/showDocument` (the server shows a file the agent changed): never in the chat
--- window.
local function show_document(err, result, ctx)
  if chat.is_chat_win(api.nvim_get_current_win()) then
    local target = nil
    for _, w in ipairs(api.nvim_tabpage_list_wins(0)) do
      if not chat.is_chat_win(w) and api.nvim_win_get_config(w).relative == "" then
        target = w
        break
      end
    end
    if target then
      api.nvim_set_current_win(target)
    else
      vim.cmd("leftabove vsplit")
    end
  end
  return vim.lsp.handlers["window/showDocument"](err, result, ctx)
end

--- `window/showMessageRequest` (the approval prompts): a command's prompt shows its risk
--- and the "always allow" choice and goes on its chat card (see codex.approval); an MCP
--- tool call's prompt names the tool and its arguments (see codex.mcp); anything else is
--- asked by Neovim's own handler.
local function show_message_request(err, result, ctx, cfg)
  if type(result) == "table" then
    local approval = require("codex.approval")
    local info = approval.parse(result.message, result.actions)
    local co, is_main = coroutine.running()
    if info and co and not is_main then
      -- Server requests run in a coroutine: wait for the (possibly asynchronous) UI.
      approval.ask(result.actions or {}, info, function(choice)
        vim.schedule(function()
          coroutine.resume(co, choice or vim.NIL)
        end)
      end)
      return coroutine.yield()
    end
    result = vim.tbl_extend("force", result, { message = require("codex.mcp").approval_message(result.message) })
  end
  return vim.lsp.handlers["window/showMessageRequest"](err, result, ctx, cfg)
end

--- The handlers of the codex client.
function M.client_handlers()
  return vim.tbl_extend("force", require("codex.handlers").all(), {
    ["workspace/applyEdit"] = require("codex.apply").handler,
    ["window/showDocument"] = show_document,
    ["window/showMessageRequest"] = show_message_request,
  }, config.options.handlers or {})
end

--- The workspace root for a buffer (or the current directory).
function M.root_dir(bufnr)
  local markers = config.options.root_markers or {}
  local root = nil
  if bufnr and api.nvim_buf_is_valid(bufnr) and api.nvim_buf_get_name(bufnr) ~= ""
    and vim.bo[bufnr].buftype == "" then
    root = vim.fs.root(bufnr, markers)
    if not root then
      root = vim.fs.dirname(api.nvim_buf_get_name(bufnr))
    end
  end
  if not root then
    root = vim.fs.root(vim.fn.getcwd(), markers) or vim.fn.getcwd()
  end
  return root
end

local function on_attach(client, bufnr)
  if config.options.on_attach then
    config.options.on_attach(client, bufnr)
  end
end

--- The LSP client config (without root_dir).
function M.lsp_config()
  local o = config.options
  return {
    name = o.name,
    cmd = o.cmd,
    filetypes = o.filetypes,
    root_markers = o.root_markers,
    init_options = { codex = vim.deepcopy(o.settings or {}) },
    capabilities = M.capabilities(),
    handlers = M.client_handlers(),
    on_attach = on_attach,
    flags = o.flags,
  }
end

--- Set the plugin up: register the server with Neovim's LSP client.
---@param opts? codex.Options
function M.setup(opts)
  config.set(opts)
  M.did_setup = true
  -- #buffer / #selection follow the file buffers you enter from now on.
  require("codex.input")
  local o = config.options
  local group = api.nvim_create_augroup("codex.nvim", { clear = true })
  if has_011 and vim.lsp.config then
    local cfg = M.lsp_config()
    cfg.root_dir = function(bufnr, on_dir)
      on_dir(M.root_dir(bufnr))
    end
    cfg.root_markers = nil
    vim.lsp.config(o.name, cfg)
    if o.autostart then
      vim.lsp.enable(o.name)
    end
  elseif o.autostart then
    -- Neovim 0.10: start (or reuse) the client for every file buffer.
    api.nvim_create_autocmd("FileType", {
      group = group,
      callback = function(args)
        local b = args.buf
        if vim.bo[b].buftype ~= "" or api.nvim_buf_get_name(b) == "" then
          return
        end
        if o.filetypes and not vim.tbl_contains(o.filetypes, vim.bo[b].filetype) then
          return
        end
        local cfg = M.lsp_config()
        cfg.root_dir = M.root_dir(b)
        vim.lsp.start(cfg, { bufnr = b })
      end,
    })
  end
  return M
end

-- ---------------------------------------------------------------------------------------
-- The client

local function alive(client)
  return client and not (client.is_stopped and client:is_stopped())
end

--- A running codex client, if any (the active thread's, the current buffer's, or any).
function M.get_client()
  if not M.did_setup then
    M.setup({})
  end
  local name = config.options.name
  if state.client_id then
    local c = vim.lsp.get_client_by_id(state.client_id)
    if alive(c) then
      return c
    end
    state.client_id = nil
  end
  -- A client being stopped (`:LspStop`, a restart) is listed until its server exited.
  local clients = vim.tbl_filter(alive, vim.lsp.get_clients({ name = name, bufnr = 0 }))
  if #clients == 0 then
    clients = vim.tbl_filter(alive, vim.lsp.get_clients({ name = name }))
  end
  if clients[1] then
    state.client_id = clients[1].id
    return clients[1]
  end
  return nil
end

--- The codex client, started when needed (attached to the current buffer if it is a file).
function M.ensure_client()
  local c = M.get_client()
  if c then
    return c
  end
  local bufnr = api.nvim_get_current_buf()
  local is_file = vim.bo[bufnr].buftype == "" and api.nvim_buf_get_name(bufnr) ~= ""
  local cfg = M.lsp_config()
  cfg.root_markers = nil
  cfg.root_dir = M.root_dir(bufnr)
  local id
  if has_011 then
    id = vim.lsp.start(cfg, { bufnr = bufnr, attach = is_file })
  elseif is_file then
    id = vim.lsp.start(cfg, { bufnr = bufnr })
  else
    id = vim.lsp.start_client(cfg)
  end
  if not id then
    notify("could not start " .. table.concat(config.options.cmd, " "), vim.log.levels.ERROR)
    return nil
  end
  state.client_id = id
  return vim.lsp.get_client_by_id(id)
end

--- Run `fn(client)` once the client is initialized (waits up to 20 s without blocking).
function M.with_client(fn)
  local client = M.ensure_client()
  if not client then
    return
  end
  if client.initialized then
    return fn(client)
  end
  local waited = 0
  local t = vim.uv.new_timer()
  t:start(20, 20, vim.schedule_wrap(function()
    waited = waited + 20
    if client.initialized then
      t:stop()
      t:close()
      fn(client)
    elseif waited > 20000 or not alive(client) then
      t:stop()
      t:close()
      notify("the server did not start", vim.log.levels.ERROR)
    end
  end))
end

--- Send a request; `cb(result)` runs on success, errors are reported (unless
--- `on_error(err)` returns true: then it handled the error, and `cb` is not called).
function M.request(client, method, params, cb, bufnr, on_error)
  local function handler(err, result)
    if err and on_error and on_error(err) then
      return
    end
    if err then
      local msg = err.message or vim.inspect(err)
      notify(method .. " failed: " .. msg, vim.log.levels.ERROR)
      chat.add({ kind = "error", message = method .. ": " .. msg })
      if cb then
        cb(nil, err)
      end
      return
    end
    if cb then
      cb(result)
    end
  end
  if has_011 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function thread_cwd(client)
  return client.root_dir or (client.config and client.config.root_dir) or vim.fn.getcwd()
end

--- Run `fn(client, thread_id)` with a thread (started when there is none).
function M.with_thread(fn)
  M.with_client(function(client)
    if state.thread_id then
      return fn(client, state.thread_id)
    end
    local params = { cwd = thread_cwd(client), model = state.model }
    M.request(client, "codex/thread/start", params, function(result)
      if not result then
        return
      end
      state.reset_thread(result.thread.id, result.thread)
      state.thread_model = nonnull(result.model)
      state.client_id = client.id
      chat.info(string.format("New thread · %s · %s", tostring(nonnull(result.model) or "?"),
        vim.fn.fnamemodify(result.cwd or thread_cwd(client), ":~")))
      fn(client, state.thread_id)
    end)
  end)
end

-- ---------------------------------------------------------------------------------------
-- Commands

--- Open the chat, the cursor in its input.
function M.open()
  require("codex.input").focus(false)
  M.ensure_client()
end

--- Write a message: the chat's input, in Insert mode (:CodexAsk without text).
function M.compose()
  require("codex.input").focus(true)
  M.ensure_client()
end

--- Start a turn of the current thread (started when there is none) with `method`;
--- `make_params(thread_id)` gives its params, `on_result(result)` sees the answer first.
local function run_turn(method, make_params, bufnr, on_result)
  chat.open({ focus = false })
  state.activity = "starting"
  state.recompute()
  M.with_thread(function(client, thread_id)
    if bufnr and vim.bo[bufnr].buftype == "" and not client.attached_buffers[bufnr] then
      -- The server reads selections from the synced buffer.
      pcall(vim.lsp.buf_attach_client, bufnr, client.id)
    end
    M.request(client, method, make_params(thread_id), function(result)
      if result and on_result then
        on_result(result)
      end
      if result and result.turn and state.turn_id == nil then
        state.turn_id = result.turn.id
      end
      state.recompute()
    end, bufnr)
  end)
end

local function start_turn(inputs, bufnr)
  run_turn("codex/turn/start", function(thread_id)
    -- The model picked with :CodexModel (nil: the thread's).
    return { threadId = thread_id, input = inputs, model = state.model, effort = state.effort }
  end, bufnr)
end

--- Add `inputs` to the running turn (`codex/turn/steer`); the server shows them as a
--- userMessage item of that turn. When the turn ended before the server took them, they
--- start a new turn instead.
local function steer(inputs, bufnr)
  local client = M.get_client()
  local thread_id, turn_id = state.thread_id, state.turn_id
  if not (client and thread_id and turn_id) then
    return start_turn(inputs, bufnr)
  end
  chat.open({ focus = false })
  if bufnr and vim.bo[bufnr].buftype == "" and not client.attached_buffers[bufnr] then
    pcall(vim.lsp.buf_attach_client, bufnr, client.id)
  end
  local params = { threadId = thread_id, expectedTurnId = turn_id, input = inputs }
  M.request(client, "codex/turn/steer", params, nil, bufnr, function(err)
    local msg = tostring(err.message or "")
    if msg:find("no turn is running", 1, true) or msg:find("has ended", 1, true) then
      start_turn(inputs, bufnr)
      return true
    end
    return false
  end)
end

--- Ask the agent (prompts for the text when none is given).
---@param text? string
---@param extra? table[] more UserInput values (e.g. a document selection)
function M.ask(text, extra, bufnr)
  if not text or vim.trim(text) == "" then
    util.input("Ask Codex: ", function(input)
      M.ask(input, extra, bufnr)
    end)
    return
  end
  local inputs = { { type = "text", text = text } }
  vim.list_extend(inputs, extra or {})
  local running = state.turn_id
  local c = state.compaction
  if running and (state.review_turns[running] or (c and c.turnId == running and not c.entry.auto)) then
    -- Neither takes input, and the server refuses a second turn while they run.
    notify(string.format("a %s is running and takes no input: send it when it is done (or :CodexInterrupt)",
      state.review_turns[running] and "review" or "compaction"), vim.log.levels.WARN)
  elseif running then
    -- A turn runs: the text steers it (the server refuses a second turn).
    steer(inputs, bufnr)
  else
    start_turn(inputs, bufnr)
  end
end

--- The selection (lines line1..line2 of bufnr; characterwise when it was a `v` selection)
--- as a `document` UserInput.
function M.selection_input(bufnr, line1, line2, client)
  bufnr = bufnr == 0 and api.nvim_get_current_buf() or bufnr
  local encoding = client and client.offset_encoding or "utf-16"
  local s = api.nvim_buf_get_mark(bufnr, "<")
  local e = api.nvim_buf_get_mark(bufnr, ">")
  local start_col, end_row, end_col = 0, line2, nil
  local last_line = api.nvim_buf_get_lines(bufnr, line2 - 1, line2, false)[1] or ""
  if vim.fn.visualmode() == "v" and s[1] == line1 and e[1] == line2 then
    start_col = s[2]
    local col = math.min(e[2], math.max(#last_line - 1, 0))
    local char_end = vim.str_utf_end and vim.str_utf_end(last_line, col + 1) or 0
    end_col = math.min(col + 1 + char_end, #last_line)
  else
    end_col = #last_line
  end
  local first_line = api.nvim_buf_get_lines(bufnr, line1 - 1, line1, false)[1] or ""
  start_col = math.min(start_col, #first_line)
  local function enc(row, col)
    if col == 0 then
      return 0
    end
    return vim.lsp.util.character_offset(bufnr, row, col, encoding)
  end
  return {
    type = "document",
    uri = vim.uri_from_bufnr(bufnr),
    range = {
      start = { line = line1 - 1, character = enc(line1 - 1, start_col) },
      ["end"] = { line = end_row - 1, character = enc(end_row - 1, end_col) },
    },
  }
end

--- Ask about lines line1..line2 of the current buffer.
function M.ask_selection(question, line1, line2)
  local bufnr = api.nvim_get_current_buf()
  if vim.bo[bufnr].buftype ~= "" or api.nvim_buf_get_name(bufnr) == "" then
    notify("the selection must be in a file buffer", vim.log.levels.WARN)
    return
  end
  local client = M.ensure_client()
  if not client then
    return
  end
  local input = M.selection_input(bufnr, line1, line2, client)
  if not question or vim.trim(question) == "" then
    util.input("Ask Codex about the selection: ", function(q)
      M.ask(q, { input }, bufnr)
    end)
    return
  end
  M.ask(question, { input }, bufnr)
end

--- Start a new thread (the chat is cleared).
function M.new_thread()
  state.reset_thread(nil, nil)
  chat.clear()
  chat.open({ focus = false })
  M.with_thread(function() end)
end

--- Interrupt the turn in progress.
function M.interrupt()
  local client = M.get_client()
  if not (client and state.thread_id and state.turn_id) then
    notify("no turn in progress")
    return
  end
  M.request(client, "codex/turn/interrupt", { threadId = state.thread_id, turnId = state.turn_id })
end

--- Show `thread` (with its turns) in the chat from scratch: `header`, its history, then
--- `footer` (optional).
local function show_thread(thread, header, footer)
  chat.clear()
  chat.info(header .. " · " .. (nonnull(thread.name) or nonnull(thread.preview) or thread.id))
  chat.render_history(thread)
  if footer then
    chat.info(footer)
  end
  chat.open({ focus = false })
  chat.flush()
end

--- Make the thread of a `codex/thread/resume` (or fork) result the active one and show
--- its history under `header`.
function M.show_resumed(client, result, header)
  local thread = result.thread
  state.reset_thread(thread.id, thread)
  state.thread_model = nonnull(result.model) or nonnull(thread.model)
  state.client_id = client.id
  show_thread(thread, header)
end

--- Resume a thread by id: its history is rendered into the chat.
function M.resume(thread_id, cb)
  M.with_client(function(client)
    M.request(client, "codex/thread/resume", { threadId = thread_id }, function(result)
      if not result then
        return
      end
      M.show_resumed(client, result, "Resumed thread")
      if cb then
        cb(result.thread)
      end
    end)
  end)
end

--- Redraw the chat from the active thread as the server has it now (`codex/thread/read`).
function M.refresh_thread(client_id)
  local client = client_id and vim.lsp.get_client_by_id(client_id) or M.get_client()
  local thread_id = state.thread_id
  if not (client and thread_id) then
    return
  end
  M.request(client, "codex/thread/read", { threadId = thread_id, includeTurns = true }, function(result)
    if result and result.thread and state.thread_id == thread_id then
      state.thread = result.thread
      show_thread(result.thread, "Thread")
    end
  end)
end

--- :CodexThreads: pick a thread to resume, or a thread action (see codex.threads).
function M.threads(args)
  require("codex.threads").command(args)
end

--- :CodexMcp: the MCP servers, their status and tools (see codex.mcp).
function M.mcp(args)
  require("codex.mcp").command(args)
end

--- :CodexRules: the remembered commands (see codex.rules).
function M.rules(args)
  require("codex.rules").command(args)
end

--- :CodexModel: pick the model for the next turns (see codex.models).
function M.model(args)
  require("codex.models").command(args)
end

--- Does the server offer this workspace/executeCommand command?
function M.server_has_command(client, command)
  local provider = client and client.server_capabilities
    and client.server_capabilities.executeCommandProvider
  local commands = type(provider) == "table" and provider.commands or {}
  return vim.tbl_contains(commands, command)
end

--- The running client when it offers `command` (and there is a thread, if `needs_thread`);
--- else a warning and nil.
local function command_client(command, needs_thread, missing)
  local client = M.get_client()
  if not client or (needs_thread and not state.thread_id) then
    notify(missing, vim.log.levels.WARN)
    return nil
  end
  if not M.server_has_command(client, command) then
    notify("this codex-lsp does not offer " .. command, vim.log.levels.WARN)
    return nil
  end
  return client
end

--- Undo the file changes of the thread's last file-changing turn (`codex.undoTurn`);
--- again, the one before. The chat cards of the turn then say `undone`. When there is
--- nothing (left) to undo, the server's reason is a plain notice. `cb(result, err)`
--- (`result.undone` false when nothing was undone).
function M.undo(cb)
  local client = command_client("codex.undoTurn", true, "no thread to undo")
  if not client then
    return false
  end
  local thread_id = state.thread_id
  M.request(client, "workspace/executeCommand", {
    command = "codex.undoTurn",
    arguments = { { threadId = thread_id } },
  }, function(result, err)
    local undo = require("codex.undo")
    local nothing = not err and undo.nothing(result)
    if nothing then
      -- Nothing (left) to undo: not a failure; say why.
      notify(nothing, vim.log.levels.INFO)
      chat.info(nothing)
    elseif not err then
      pcall(vim.cmd, "checktime")
      result = type(result) == "table" and result or {}
      if result.undone then
        require("codex.cards").record_undo(thread_id, result)
      else
        notify("nothing was undone", vim.log.levels.WARN)
      end
      chat.info(undo.summary(result))
      chat.redraw_cards()
    end
    if cb then
      cb(result, err)
    end
  end, nil, function(err)
    -- Refusals (nothing to undo on older servers, an undo running, ...): say why.
    local text = require("codex.undo").refusal(err)
    if not text then
      return false
    end
    notify(text, vim.log.levels.INFO)
    chat.info(text)
    if cb then
      cb(nil, err)
    end
    return true
  end)
  return true
end

--- The running client and active thread when no turn runs; else a warning and nil.
local function idle_thread(what)
  local client = M.get_client()
  if not (client and state.thread_id) then
    notify("no thread to " .. what, vim.log.levels.WARN)
    return nil
  end
  if state.turn_id then
    notify("a turn is running: wait for it or stop it (:CodexInterrupt) before you " .. what,
      vim.log.levels.WARN)
    return nil
  end
  return client, state.thread_id
end

--- Compact the thread's context (`codex/thread/compact/start`): the server runs a turn
--- whose only item is the compaction; the chat shows it like any turn.
function M.compact(cb)
  local client, thread_id = idle_thread("compact")
  if not client then
    return false
  end
  chat.open({ focus = false })
  M.request(client, "codex/thread/compact/start", { threadId = thread_id }, cb)
  return true
end

local function first_line(text, max)
  local line = (tostring(text or ""):match("^%s*([^\n]*)"))
  if vim.fn.strchars(line) > max then
    line = vim.fn.strcharpart(line, 0, max - 1) .. "…"
  end
  return line
end

--- What a turn was, for messages: its first text input, else the kind of its first item.
local function turn_label(turn)
  for _, item in ipairs(turn.items or {}) do
    if item.type == "userMessage" then
      for _, input in ipairs(item.content or {}) do
        if input.type == "text" then
          return string.format("%q", first_line(input.text, 40))
        end
      end
    elseif item.type == "contextCompaction" then
      return "compaction"
    elseif item.type == "enteredReviewMode" then
      return "review"
    end
  end
  return "turn " .. tostring(turn.id)
end

--- The files a list of turns changed through fileChange items (relative paths, sorted).
local function changed_files(turns)
  local seen, out = {}, {}
  for _, turn in ipairs(turns) do
    for _, item in ipairs(turn.items or {}) do
      if item.type == "fileChange" and item.status == "completed" then
        for _, c in ipairs(item.changes or {}) do
          local path = vim.fn.fnamemodify(c.path, ":~:.")
          if not seen[path] then
            seen[path] = true
            table.insert(out, path)
          end
        end
      end
    end
  end
  table.sort(out)
  return out
end

--- Drop the last `n` turns of the thread (`codex/thread/rollback`): they leave the chat
--- and what the model sees, and the files they changed are put back unless
--- `opts.keep_files`. `cb(thread, err)` gets the thread with the turns that remain.
---@param n? integer default 1
---@param opts? {keep_files?: boolean}
function M.rewind(n, opts, cb)
  n = n or 1
  opts = opts or {}
  if type(n) ~= "number" or n < 1 or n ~= math.floor(n) then
    notify("the number of turns to rewind must be a positive integer", vim.log.levels.ERROR)
    return false
  end
  local client, thread_id = idle_thread("rewind")
  if not client then
    return false
  end
  local function done(thread, err)
    if cb then
      cb(thread, err)
    end
  end
  M.request(client, "codex/thread/read", { threadId = thread_id, includeTurns = true }, function(read, err)
    if not read then
      return done(nil, err)
    end
    local turns = read.thread.turns or {}
    if n > #turns then
      notify(string.format("the thread has %d turn%s; nothing was rewound", #turns, #turns == 1 and "" or "s"),
        vim.log.levels.WARN)
      return done(nil, { message = "not enough turns" })
    end
    local dropped = vim.list_slice(turns, #turns - n + 1)
    local params = { threadId = thread_id, numTurns = n, restoreFiles = not opts.keep_files }
    -- Our own codex/thread/reverted needs no redraw of its own (this answer does it).
    state.own_reverts = state.own_reverts + 1
    M.request(client, "codex/thread/rollback", params, function(result, rerr)
      if not result then
        state.own_reverts = math.max(state.own_reverts - 1, 0)
        return done(nil, rerr)
      end
      local thread = result.thread
      state.thread = thread
      -- The usage the server reported was for the dropped turns' context.
      state.token_usage = nil
      state.recompute()
      -- Buffers of files put back on disk (not through the editor) reload.
      pcall(vim.cmd, "checktime")
      local labels = vim.tbl_map(turn_label, dropped)
      local text = string.format("Rewound %d turn%s (%s)", n, n == 1 and "" or "s", table.concat(labels, ", "))
      local files = changed_files(dropped)
      if #files > 0 then
        text = text .. string.format("; %s: %s", opts.keep_files and "files kept as they are" or "files restored",
          table.concat(files, ", "))
      end
      show_thread(thread, "Thread", text)
      notify(text)
      done(thread)
    end)
  end)
  return true
end

--- Review code (`codex/review/start`): `args` as for :CodexReview ("" = the uncommitted
--- changes, "branch <name>", "commit <sha> [title]", "custom <instructions>") or a
--- ReviewTarget table. `opts.delivery`: "inline" or "detached" (default: config).
---@param args? string|table
---@param opts? {delivery?: "inline"|"detached"}
function M.review(args, opts)
  local review = require("codex.review")
  local target, err = args, nil
  if type(args) ~= "table" then
    target, err = review.parse(args or "")
  end
  if not target then
    notify(err, vim.log.levels.ERROR)
    return
  end
  local delivery = (opts and opts.delivery) or config.options.code_review.delivery or "inline"
  run_turn("codex/review/start", function(thread_id)
    return { threadId = thread_id, target = target, delivery = delivery }
  end, nil, function(result)
    local review_thread = nonnull(result.reviewThreadId)
    if result.turn and result.turn.id then
      review.track(result.turn.id, review_thread)
    end
    if review_thread and review_thread ~= state.thread_id then
      -- Detached: the chat follows the new thread (unless its turn/started already did).
      state.reset_thread(review_thread, nil)
      chat.info("Review in a new thread · " .. review_thread)
    end
  end)
end

--- Clear the review findings (`codex.clearReview`): their diagnostics and the
--- "Codex review" quickfix list.
function M.clear_review(cb)
  local review = require("codex.review")
  review.clear_quickfix()
  local client = command_client("codex.clearReview", false, "no codex client running")
  if not client then
    return false
  end
  M.request(client, "workspace/executeCommand", {
    command = "codex.clearReview",
    arguments = { vim.empty_dict() }, -- every thread's findings
  }, cb)
  return true
end

--- Log in with an API key (typed without echo).
function M.login()
  local ok, key = pcall(vim.fn.inputsecret, "OpenAI API key: ")
  if not ok or not key or vim.trim(key) == "" then
    return
  end
  M.with_client(function(client)
    M.request(client, "codex/account/login/start", { type = "apiKey", apiKey = vim.trim(key) })
  end)
end

-- ---------------------------------------------------------------------------------------
-- Statusline

local ACTIVITY = {
  idle = "idle",
  starting = "starting…",
  thinking = "thinking…",
  reviewing = "reviewing…",
  compacting = "compacting…",
  responding = "responding…",
  running = "running cmd",
  editing = "editing",
  approval = "waiting for approval",
}

--- A statusline component, e.g. "codex: thinking…" or "codex: idle · 12% ctx".
--- Empty when no codex client runs.
function M.statusline()
  local ok_client = state.client_id and vim.lsp.get_client_by_id(state.client_id)
  if not ok_client and #vim.lsp.get_clients({ name = config.options.name }) == 0 then
    return ""
  end
  local text = "codex: " .. (ACTIVITY[state.activity] or state.activity)
  local usage = state.token_usage
  if type(usage) == "table" then
    local percent = util.context_percent(usage)
    if percent then
      text = text .. string.format(" · %d%% ctx", percent)
    elseif type(usage.total) == "table" and type(usage.total.totalTokens) == "number" then
      text = text .. string.format(" · %d tok", usage.total.totalTokens)
    end
  end
  return text
end

M.state = state
M.chat = chat

return M
