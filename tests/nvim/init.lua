-- Minimal init for the headless Neovim tests:
--   nvim --headless --clean -u tests/nvim/init.lua -c "luafile tests/nvim/<scenario>.lua"
-- Env: CODEX_NVIM_PLUGIN=0 leaves the plugin off the runtimepath (the "no plugin" scenario).
local here = vim.fs.dirname(vim.fs.normalize(debug.getinfo(1, "S").source:sub(2)))
local repo = vim.fs.dirname(vim.fs.dirname(here))
vim.g.codex_test_repo = repo
package.path = here .. "/?.lua;" .. package.path

vim.o.swapfile = false
vim.o.shadafile = "NONE"
vim.o.more = false
vim.o.hidden = true
vim.o.shortmess = vim.o.shortmess .. "IcF"

if vim.env.CODEX_NVIM_PLUGIN ~= "0" then
  vim.opt.runtimepath:prepend(repo .. "/nvim")
end
