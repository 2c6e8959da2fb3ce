-- :CodexModel: pick the model (and its reasoning effort) for the next turns, from
-- `codex/model/list`.
local state = require("codex.state")
local util = require("codex.util")

local nonnull, notify = util.nonnull, util.notify
local M = {}

M.cache = {} ---@type table[]  the models last listed (for completion)
local MAX_PAGES = 10

local function codex()
  return require("codex")
end

--- Every model the server lists (following `nextCursor`); `cb(models)`.
function M.list(cb)
  codex().with_client(function(client)
    util.list_all(client, "codex/model/list", MAX_PAGES, function(all)
      if all then
        M.cache = all
        cb(all)
      end
    end)
  end)
end

--- The model the next turn uses: the one picked, else the thread's.
function M.current()
  return state.model or state.thread_model
end

--- "GPT-5.1 Codex (gpt-5.1-codex) · default · current"
function M.label(m)
  local name = nonnull(m.displayName) or m.model or m.id
  local text = name
  if m.model and m.model ~= name then
    text = string.format("%s (%s)", name, m.model)
  end
  if m.isDefault then
    text = text .. " · default"
  end
  if m.model == M.current() or m.id == M.current() then
    text = text .. " · current"
  end
  local about = nonnull(m.description)
  if type(about) == "string" and about ~= "" then
    text = text .. " — " .. about:gsub("\n", " ")
  end
  return text
end

--- Use `model` (and `effort`, nil: the model's default) for the next turns.
function M.use(model, effort)
  state.model, state.effort = model, effort
  local text = "Model for the next turns: " .. model .. (effort and (" · reasoning effort " .. effort) or "")
  require("codex.chat").info(text)
  notify(text)
  pcall(vim.cmd, "redrawstatus")
end

local function pick_effort(m)
  local efforts = type(m.supportedReasoningEfforts) == "table" and m.supportedReasoningEfforts or {}
  if #efforts < 2 then
    return M.use(m.model, nil)
  end
  local default = nonnull(m.defaultReasoningEffort)
  vim.ui.select(efforts, {
    prompt = "Reasoning effort for " .. m.model,
    kind = "codex_effort",
    format_item = function(e)
      local text = e.reasoningEffort .. (e.reasoningEffort == default and " · default" or "")
      local about = nonnull(e.description)
      return type(about) == "string" and about ~= "" and (text .. " — " .. about) or text
    end,
  }, function(choice)
    -- Dismissed: the model's default effort.
    M.use(m.model, choice and choice.reasoningEffort ~= default and choice.reasoningEffort or nil)
  end)
end

--- :CodexModel [model]: with a name, use it; else pick one (then its effort).
function M.command(args)
  local name = vim.trim(args or "")
  if name ~= "" then
    return M.use(name, nil)
  end
  M.list(function(models)
    if #models == 0 then
      notify("the server lists no models", vim.log.levels.WARN)
      return
    end
    vim.ui.select(models, { prompt = "Codex model", kind = "codex_model", format_item = M.label }, function(choice)
      if choice then
        pick_effort(choice)
      end
    end)
  end)
end

function M.complete(arglead)
  local out = {}
  for _, m in ipairs(M.cache) do
    if m.model and vim.startswith(m.model, arglead) then
      table.insert(out, m.model)
    end
  end
  return out
end

return M
