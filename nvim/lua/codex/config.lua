-- Options of the codex.nvim plugin (see :help codex-config).
local M = {}

---@class codex.Options
M.defaults = {
  -- The server command. `codex-lsp` must be on $PATH, or give an absolute path.
  cmd = { "codex-lsp" },
  -- The LSP client name (also the name given to vim.lsp.config / vim.lsp.enable).
  name = "codex",
  -- Files or folders marking the workspace root (the agent's working directory).
  -- Without a match the current directory is used.
  root_markers = { "AGENTS.md", ".git" },
  -- nil: attach to every buffer that is a file; or a list of filetypes.
  filetypes = nil,
  -- Start the server automatically for file buffers (vim.lsp.enable on 0.11+). When false
  -- it starts on the first :Codex* command.
  autostart = true,
  -- initializationOptions.codex: model, modelProvider, reasoningEffort, reasoningSummary,
  -- approvalPolicy, sandboxMode, networkAccess, writableRoots, profile.
  settings = {},
  -- Ask for the per-token notifications (agent message, reasoning, command output).
  deltas = true,
  -- Extra client capabilities, deep-merged over the plugin's.
  capabilities = {},
  -- Extra LSP handlers for the codex client.
  handlers = {},
  -- Called when the client attaches to a buffer: function(client, bufnr).
  on_attach = nil,
  -- Passed to the LSP client (e.g. { debounce_text_changes = 150 }).
  flags = nil,
  -- After an edit from the agent is applied, write the buffers it touched, so the files on
  -- disk are what you approved before the agent runs anything.
  save_after_apply = true,
  review = {
    -- Show each file of an edit that needs confirmation in diff mode while asking per hunk.
    diff = true,
  },
  -- :CodexReview (code review by the agent; see :help codex-code-review).
  code_review = {
    -- "inline": the review is a turn of the current thread; "detached": a new thread.
    -- :CodexReview! always starts a new thread.
    delivery = "inline",
    -- Open the quickfix window when a review has findings (the cursor stays put).
    open_quickfix = true,
  },
  chat = {
    -- "right", "left", "below", "above", "tab" or "current".
    position = "right",
    -- Width (left/right) or height (below/above) of the chat window.
    size = 80,
    -- Buffer-local keymaps in the chat buffer (<CR> ask, <C-c> interrupt, q close).
    keymaps = true,
    -- Keep the cursor on the last line while text streams in (when it already was there).
    follow = true,
    -- At most this many lines of command output are shown per command (the tail).
    max_output_lines = 200,
  },
  -- Number of threads listed by :CodexThreads.
  thread_list_limit = 50,
}

M.options = vim.deepcopy(M.defaults)

---@param opts table|nil
function M.set(opts)
  opts = opts or {}
  M.options = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts)
  -- Lists are taken as given, not merged index by index.
  for _, key in ipairs({ "cmd", "root_markers", "filetypes" }) do
    if opts[key] ~= nil then
      M.options[key] = vim.deepcopy(opts[key])
    end
  end
  if type(M.options.cmd) == "string" then
    M.options.cmd = { M.options.cmd }
  end
  return M.options
end

return M
