-- A web search in the chat, with the real server (`[tools] web_search = true`, configured
-- by tests/e2e/test_neovim_approvals_risk.py). Mock script: a web_search_call and a
-- message "Searched.".
local H = require("harness")

local QUERY = assert(vim.env.CODEX_TEST_QUERY, "CODEX_TEST_QUERY not set")

H.record_notifications()
local codex = require("codex")
codex.setup({})
local chat = require("codex.chat")

-- The card as each notification of the search left it.
local seen = {}
vim.api.nvim_create_autocmd("User", {
  pattern = "CodexNotification",
  callback = function(args)
    local item = type(args.data.params) == "table" and args.data.params.item or nil
    if type(item) == "table" and item.type == "webSearch" then
      -- Right after the plugin's handler (the text is flushed now): the card as this
      -- notification left it, whether or not the next one came in the same tick.
      local text = chat.text()
      table.insert(seen, { method = args.data.method, card = text:match("### 🔎 web search[^\n]*") })
    end
  end,
})

H.step("a web search is a card with its query", function()
  codex.ask("search the web")
  local turn = H.await_turn(1)
  H.require(turn ~= nil, "the turn completed")
  H.eq(turn.turn.status, "completed", "the turn's status")
  H.wait(2000, function()
    return #seen >= 2
  end, "the cards")
  H.eq(seen[1] and seen[1].method, "codex/item/started", "item/started webSearch")
  H.ok(seen[1] and seen[1].card and seen[1].card:find("· searching…$") ~= nil, "in progress: searching…",
    vim.inspect(seen))
  H.eq(seen[2] and seen[2].card, "### 🔎 web search: " .. QUERY .. "  · done", "done, with the query")
  H.contains(chat.text(), "### 🔎 web search: " .. QUERY .. "  · done\n", "the card stays")
  H.contains(chat.text(), "Searched.", "the answer")
end)

H.finish()
