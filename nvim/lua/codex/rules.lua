-- :CodexRules: the remembered commands. Choosing "Always allow "<prefix>"" in a command's
-- approval prompt makes codex-lsp store the prefix for the thread's folder (under
-- $CODEX_HOME); later commands starting with it run without asking (still sandboxed).
-- The server shows the rules in `codex/config/read` (key path `approvals.rules`, a list of
-- `{cwd, prefix}`) and replaces them when that key path is written with
-- `codex/config/value/write`: removing one writes back the others.
local util = require("codex.util")

local nonnull, notify = util.nonnull, util.notify
local M = {}

M.KEY_PATH = "approvals.rules"
M.rules = {} ---@type {cwd: string, prefix: string[]}[]  the list last read
M.buf = nil ---@type integer|nil
local BUF_NAME = "codex://rules"

local function codex()
  return require("codex")
end

--- The rules in a `codex/config/read` result (a list of `{cwd, prefix}`), or nil when the
--- server has no such key (an older codex-lsp).
function M.from_config(config)
  local approvals = type(config) == "table" and nonnull(config.approvals) or nil
  local rules = type(approvals) == "table" and nonnull(approvals.rules) or nil
  if type(rules) ~= "table" then
    return nil
  end
  local out = {}
  for _, r in ipairs(rules) do
    if type(r) == "table" and type(r.cwd) == "string" and type(r.prefix) == "table" then
      table.insert(out, { cwd = r.cwd, prefix = r.prefix })
    end
  end
  return out
end

--- `cb(rules)` with the stored rules, or `cb(nil, err)`.
function M.read(cb)
  codex().with_client(function(client)
    codex().request(client, "codex/config/read", vim.empty_dict(), function(result, err)
      if not result then
        return cb(nil, err)
      end
      local rules = M.from_config(result.config)
      if not rules then
        local msg = "this codex-lsp keeps no remembered commands (no approvals.rules in codex/config/read)"
        notify(msg, vim.log.levels.WARN)
        return cb(nil, { message = msg })
      end
      M.rules = rules
      cb(rules)
    end)
  end)
end

--- "npm test" for `{"npm", "test"}` (words with spaces or quotes quoted).
function M.prefix_text(prefix)
  local words = {}
  for _, w in ipairs(type(prefix) == "table" and prefix or {}) do
    w = tostring(w)
    if w == "" or w:find("[%s\"'\\]") then
      w = vim.fn.shellescape(w)
    end
    table.insert(words, w)
  end
  return table.concat(words, " ")
end

--- A rule as one line: "npm test  · in ~/project".
function M.label(rule)
  return string.format("%s  · in %s", M.prefix_text(rule.prefix), vim.fn.fnamemodify(rule.cwd, ":~"))
end

--- The lines of the view, and the rule shown on each line (`at[lnum] = index`).
function M.render(rules)
  local lines = {
    "# Codex remembered commands",
    "_Commands starting with these words run without asking in their folder (still sandboxed)._",
    "_d remove the rule under the cursor · <CR> refresh · q close · g? keys_",
    "",
  }
  local at = {}
  if #rules == 0 then
    table.insert(lines, 'None yet: choose "Always allow" in a command\'s approval prompt.')
  end
  -- Grouped by folder, in the server's order.
  local folders, by_folder = {}, {}
  for i, r in ipairs(rules) do
    if not by_folder[r.cwd] then
      by_folder[r.cwd] = {}
      table.insert(folders, r.cwd)
    end
    table.insert(by_folder[r.cwd], i)
  end
  for _, cwd in ipairs(folders) do
    table.insert(lines, "## " .. vim.fn.fnamemodify(cwd, ":~"))
    for _, i in ipairs(by_folder[cwd]) do
      table.insert(lines, "- " .. M.prefix_text(rules[i].prefix))
      at[#lines] = i
    end
    table.insert(lines, "")
  end
  return lines, at
end

--- Write `rules` into the view's buffer (if it exists).
function M.draw(rules)
  local lines, at = M.render(rules or M.rules)
  util.set_view_lines(M.buf, lines, { codex_rules_at = util.keyed_by_line(at) })
end

--- Read the rules again and redraw; `cb(rules)` after.
function M.refresh(cb)
  M.read(function(rules, err)
    if rules then
      M.draw(rules)
    end
    if cb then
      cb(rules, err)
    end
  end)
end

local function same(a, b)
  return a.cwd == b.cwd and vim.deep_equal(a.prefix, b.prefix)
end

--- Remove `rule` (`{cwd, prefix}`): the server's current list without it is written back.
--- `cb(rules)` with what remains, or `cb(nil, err)`.
function M.remove(rule, cb)
  local function done(rules, err)
    M.draw(rules or M.rules)
    if cb then
      cb(rules, err)
    end
  end
  -- Read first: a rule added since the view was drawn must not be dropped.
  M.read(function(rules, err)
    if not rules then
      return done(nil, err)
    end
    local rest, found = {}, false
    for _, r in ipairs(rules) do
      if not found and same(r, rule) then
        found = true
      else
        table.insert(rest, r)
      end
    end
    if not found then
      notify("that rule is no longer stored: " .. M.label(rule), vim.log.levels.WARN)
      return done(rules)
    end
    codex().with_client(function(client)
      local params = { keyPath = M.KEY_PATH, value = rest, mergeStrategy = "replace" }
      codex().request(client, "codex/config/value/write", params, function(result, werr)
        if not result then
          return done(nil, werr)
        end
        M.rules = rest
        notify("removed: " .. M.label(rule) .. " (it is asked about again)")
        done(rest)
      end)
    end)
  end)
end

local function rule_at_cursor()
  local i = util.at_cursor(M.buf, "codex_rules_at")
  return i and M.rules[i]
end

-- :CodexRules: M.open(cb) shows the view (a split below) and fills it; M.close().
util.make_view(M, BUF_NAME, {
  height = 6,
  placeholder = { "# Codex remembered commands", "", "Reading…" },
  help = "remembered commands: d remove · <CR> refresh · q close",
  maps = {
    { "d", function()
      local rule = rule_at_cursor()
      if rule then
        M.remove(rule)
      else
        notify("put the cursor on a rule to remove it", vim.log.levels.WARN)
      end
    end, "remove the rule under the cursor" },
  },
})

--- :CodexRules remove: pick a rule to remove (vim.ui.select, kind "codex_rule").
function M.pick_remove(cb)
  M.read(function(rules)
    if not rules then
      return cb and cb(nil)
    end
    if #rules == 0 then
      notify("no remembered commands")
      return cb and cb(rules)
    end
    vim.ui.select(rules, { prompt = "Remove the remembered command", kind = "codex_rule", format_item = M.label },
      function(choice)
        if choice then
          M.remove(choice, cb)
        elseif cb then
          cb(nil)
        end
      end)
  end)
end

--- :CodexRules [remove]
function M.command(args)
  local sub = vim.trim(args or "")
  if sub == "" then
    return M.open()
  elseif sub == "remove" then
    return M.pick_remove()
  end
  notify("usage: :CodexRules [remove]", vim.log.levels.WARN)
end

function M.complete(arglead)
  return vim.tbl_filter(function(c)
    return vim.startswith(c, arglead)
  end, { "remove" })
end

return M
