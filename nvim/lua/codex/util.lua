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

return M
