-- codex.nvim user commands. The server is registered by require("codex").setup(); the
-- commands work without it too (setup() then runs with the defaults on first use).
if vim.g.loaded_codex then
  return
end
vim.g.loaded_codex = true

local function codex()
  local m = require("codex")
  if not m.did_setup then
    m.setup({})
  end
  return m
end

local command = vim.api.nvim_create_user_command

command("Codex", function()
  codex().open()
end, { desc = "Codex: open the chat (the cursor in its input)" })

command("CodexAsk", function(o)
  if vim.trim(o.args) == "" then
    codex().compose()
  else
    codex().ask(o.args)
  end
end, { nargs = "*", desc = "Codex: ask the agent (without text: write it in the chat's input)" })

command("CodexAskSelection", function(o)
  codex().ask_selection(o.args, o.line1, o.line2)
end, { nargs = "*", range = true, desc = "Codex: ask about the selected lines" })

command("CodexNewThread", function()
  codex().new_thread()
end, { desc = "Codex: start a new thread" })

command("CodexThreads", function(o)
  codex().threads(o.args)
end, {
  nargs = "*",
  complete = function(arglead)
    return require("codex.threads").complete(arglead)
  end,
  desc = "Codex: threads (resume one; rename, fork, archive; archived)",
})

command("CodexModel", function(o)
  codex().model(o.args)
end, {
  nargs = "?",
  complete = function(arglead)
    return require("codex.models").complete(arglead)
  end,
  desc = "Codex: pick the model (and reasoning effort) for the next turns",
})

command("CodexMcp", function(o)
  codex().mcp(o.args)
end, {
  nargs = "*",
  complete = function(arglead, cmdline)
    return require("codex.mcp").complete(arglead, cmdline)
  end,
  desc = "Codex: MCP servers (status, tools; reload, login <server>)",
})

command("CodexRules", function(o)
  codex().rules(o.args)
end, {
  nargs = "?",
  complete = function(arglead)
    return require("codex.rules").complete(arglead)
  end,
  desc = "Codex: remembered commands (always allowed; remove one)",
})

command("CodexHunks", function()
  if not require("codex.hunk_review").focus() then
    vim.notify("codex: no edit is waiting for your review", vim.log.levels.INFO)
  end
end, { desc = "Codex: back to the edit waiting for your review (its diff tab)" })

command("CodexInterrupt", function()
  codex().interrupt()
end, { desc = "Codex: interrupt the running turn" })

command("CodexUndo", function()
  codex().undo()
end, { desc = "Codex: undo the last turn's file changes" })

command("CodexCompact", function()
  codex().compact()
end, { desc = "Codex: compact the thread's context (a summary replaces older messages)" })

command("CodexRewind", function(o)
  local n = nil
  if o.args ~= "" then
    n = tonumber(o.args)
    if not n then
      vim.notify("codex: :CodexRewind takes a number of turns, not " .. o.args, vim.log.levels.ERROR)
      return
    end
  end
  codex().rewind(n, { keep_files = o.bang })
end, {
  nargs = "?",
  bang = true,
  desc = "Codex: drop the last [n] turns and put back their files (! keeps the files)",
})

command("CodexReview", function(o)
  codex().review(o.args, { delivery = o.bang and "detached" or nil })
end, {
  nargs = "*",
  bang = true,
  complete = function(arglead, cmdline, cursorpos)
    return require("codex.review").complete(arglead, cmdline, cursorpos)
  end,
  desc = "Codex: review the uncommitted changes, a branch, a commit or custom instructions",
})

command("CodexReviewClear", function()
  codex().clear_review()
end, { desc = "Codex: clear the review findings (diagnostics and quickfix list)" })

command("CodexLogin", function()
  codex().login()
end, { desc = "Codex: log in with an API key" })
