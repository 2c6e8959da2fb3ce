-- :checkhealth codex
local M = {}

-- Server methods behind commands: {feature, method, command}.
local FEATURES = {
  { "reviews", "codex/review/start", ":CodexReview" },
  { "compaction", "codex/thread/compact/start", ":CodexCompact" },
  { "rewind", "codex/thread/rollback", ":CodexRewind" },
  { "steering", "codex/turn/steer", "asking while a turn runs" },
  { "model picker", "codex/model/list", ":CodexModel" },
  { "renaming threads", "codex/thread/name/set", ":CodexThreads rename" },
  { "forking threads", "codex/thread/fork", ":CodexThreads fork" },
  { "archiving threads", "codex/thread/archive", ":CodexThreads archive" },
}

function M.check()
  local health = vim.health
  local config = require("codex.config")
  local o = config.options

  health.start("codex.nvim: Neovim")
  if vim.fn.has("nvim-0.10") == 1 then
    local v = vim.version()
    health.ok(string.format("Neovim %d.%d.%d", v.major, v.minor, v.patch))
    if vim.fn.has("nvim-0.11") == 0 then
      health.info("Neovim 0.10: the server is started with vim.lsp.start (0.11 uses vim.lsp.enable)")
    end
  else
    health.error("Neovim 0.10 or newer is required", { "Upgrade Neovim" })
  end

  health.start("codex.nvim: server")
  local cmd = o.cmd or { "codex-lsp" }
  local exe = cmd[1]
  if vim.fn.executable(exe) == 1 then
    health.ok(string.format("`%s` found: %s", exe, vim.fn.exepath(exe)))
    local args = vim.list_extend(vim.deepcopy(cmd), { "--help" })
    local ok, result = pcall(function()
      return vim.system(args, { text = true }):wait(15000)
    end)
    if not ok then
      health.error(string.format("`%s --help` could not run: %s", table.concat(cmd, " "), result))
    elseif result.code == 0 then
      health.ok(string.format("`%s --help` runs (exit 0)", table.concat(cmd, " ")))
    else
      health.error(
        string.format("`%s --help` exited with %s", table.concat(cmd, " "), tostring(result.code)),
        { vim.trim(result.stderr or "") }
      )
    end
  else
    health.error(string.format("`%s` not found on $PATH", exe), {
      "pip install codex-lsp (or set `cmd` in require('codex').setup())",
    })
  end

  health.start("codex.nvim: chat and review")
  if o.chat.treesitter ~= false and pcall(vim.treesitter.language.add, "markdown") then
    health.ok("markdown treesitter parser found: the chat is highlighted with it (code blocks in their"
      .. " language when that parser is installed)")
  else
    health.info("no markdown treesitter parser (or chat.treesitter = false): the chat uses the markdown syntax")
  end
  local ui = o.review.ui or "auto"
  health.ok(string.format("edits are reviewed with review.ui = %q%s", ui,
    ui == "auto" and " (keys in the diff tab with a UI, vim.ui.select when headless)" or ""))
  health.info("chat cards remember undone turns and partly applied edits in " .. require("codex.cards").state_file())

  health.start("codex.nvim: client")
  if not require("codex").did_setup then
    health.warn("require('codex').setup() was not called (the commands run it with defaults)")
  else
    health.ok("setup() done")
  end
  local clients = vim.lsp.get_clients({ name = o.name })
  if #clients == 0 then
    health.info("no codex client running (it starts with a file buffer or any :Codex command)")
  end
  for _, client in ipairs(clients) do
    local bufs = vim.tbl_keys(client.attached_buffers or {})
    local caps = client.server_capabilities or {}
    local codex = type(caps.experimental) == "table" and caps.experimental.codex or nil
    health.ok(string.format(
      "client %d running, root %s, attached to %d buffer(s)%s",
      client.id,
      tostring(client.root_dir),
      #bufs,
      codex and (", protocol " .. tostring(codex.protocolVersion)) or ""
    ))
    local methods = codex and type(codex.methods) == "table" and codex.methods or nil
    for _, f in ipairs(FEATURES) do
      if methods and vim.tbl_contains(methods, f[2]) then
        health.ok(string.format("%s: the server serves %s (%s)", f[1], f[2], f[3]))
      elseif methods then
        health.info(string.format("%s: this server does not serve %s (%s fails)", f[1], f[2], f[3]))
      end
    end
    if not client.initialized then
      health.warn("client " .. client.id .. " is not initialized yet")
    else
      require("codex.mcp").health(client)
    end
  end
  local state = require("codex.state")
  health.info("activity: " .. tostring(state.activity) .. (state.thread_id and (", thread " .. state.thread_id) or ""))
end

return M
