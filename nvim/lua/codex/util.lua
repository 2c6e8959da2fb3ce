-- Small helpers shared by the plugin's modules.
local M = {}

--- `v`, or nil when it is vim.NIL (a JSON null).
function M.nonnull(v)
  if v == vim.NIL then
    return nil
  end
  return v
end

--- vim.notify with the "codex: " prefix.
function M.notify(msg, level)
  vim.notify("codex: " .. msg, level or vim.log.levels.INFO)
end

--- How full the context window is (0-100, rounded) by a TokenUsage's `last.totalTokens`,
--- or nil when the usage does not say.
function M.context_percent(usage)
  if type(usage) ~= "table" then
    return nil
  end
  local last = type(usage.last) == "table" and usage.last or {}
  local window = M.nonnull(usage.modelContextWindow)
  if type(window) ~= "number" or window <= 0 or type(last.totalTokens) ~= "number" then
    return nil
  end
  return math.floor(last.totalTokens * 100 / window + 0.5)
end

return M
