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
    -- How edits that need confirmation are reviewed (see :help codex-review):
    -- "keys": in a diff tab with buffer-local keys, the rest of Neovim usable meanwhile;
    -- "select": one vim.ui.select prompt per hunk (kind "codex_hunk");
    -- "auto": "keys" when a UI is attached, "select" in a headless (scripted) Neovim.
    ui = "auto",
    -- Show each file in diff mode ("select" only: "keys" always shows the diff).
    diff = true,
    -- The keys of the "keys" review, buffer-local in the proposed text's window.
    keys = {
      accept = "a", -- accept the hunk under the cursor (else the current one)
      reject = "r", -- reject it
      next = "]c", -- next hunk
      prev = "[c", -- previous hunk
      accept_all = "A", -- accept every undecided hunk and finish
      reject_all = "R", -- reject every undecided hunk and finish
      finish = "q", -- finish now: undecided hunks are rejected
      help = "g?", -- list the keys
    },
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
    -- Highlight the chat with the markdown treesitter parser (code blocks in their
    -- language when its parser is installed); false: the legacy markdown syntax.
    treesitter = true,
    -- The input buffer under the chat (see :help codex-chat-input).
    input = {
      enabled = true,
      height = 6,
      -- Send what is typed: in normal mode and in insert mode.
      submit = "<CR>",
      submit_insert = "<C-s>",
    },
  },
  -- The chat cards of file changes say what the files hold (applied, partly applied,
  -- undone, reverted, changed since): the files are checked when they change.
  cards = {
    check_files = true,
    -- Where the plugin remembers undone turns and partly applied edits (per thread).
    state_file = nil, -- default: stdpath("state") .. "/codex/cards.json"
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
