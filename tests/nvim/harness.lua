-- A tiny test harness for headless Neovim: checks, waits with timeouts, the mock model's
-- control API, and a final "N passed, N failed" line (exit code 1 on failure).
local H = { passed = 0, failed = 0, skipped = 0 }

local function out(line)
  io.stdout:write(line .. "\n")
  io.stdout:flush()
end
H.out = out

function H.ok(cond, name, detail)
  if cond then
    H.passed = H.passed + 1
    out("ok - " .. name)
  else
    H.failed = H.failed + 1
    out("FAIL - " .. name .. (detail ~= nil and (": " .. tostring(detail)) or ""))
  end
  return cond
end

function H.eq(actual, expected, name)
  local same = vim.deep_equal(actual, expected)
  return H.ok(same, name, not same and ("expected " .. vim.inspect(expected) .. ", got " .. vim.inspect(actual)) or nil)
end

function H.contains(haystack, needle, name)
  local found = type(haystack) == "string" and haystack:find(needle, 1, true) ~= nil
  return H.ok(found, name, not found and ("missing " .. vim.inspect(needle) .. " in " .. vim.inspect(haystack)) or nil)
end

function H.skip(name, reason)
  H.skipped = H.skipped + 1
  out("SKIP - " .. name .. ": " .. reason)
end

function H.note(text)
  out("# " .. text)
end

--- Wait (processing events) until pred() is true; every wait has a timeout.
function H.wait(ms, pred, what)
  local ok = vim.wait(ms, pred, 20)
  if not ok and what then
    H.note("timed out after " .. ms .. " ms waiting for " .. what)
  end
  return ok
end

--- Run one test step; an error fails the step and the run goes on.
function H.step(name, fn)
  out("## " .. name)
  local ok, err = xpcall(fn, debug.traceback)
  if not ok then
    H.ok(false, name .. " (raised)", err)
  end
end

local function python()
  return vim.env.CODEX_TEST_PYTHON or "python3"
end

local HTTP = [[
import sys, urllib.request
url, method = sys.argv[1], sys.argv[2]
data = sys.stdin.read().encode() if method == "POST" else None
req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
sys.stdout.write(urllib.request.urlopen(req, timeout=10).read().decode())
]]

local function http(method, path, body)
  local base = assert(vim.env.MOCK_URL, "MOCK_URL not set")
  local res = vim.system({ python(), "-c", HTTP, base .. path, method }, {
    stdin = body and vim.json.encode(body) or "",
    text = true,
  }):wait(15000)
  assert(res.code == 0, "mock " .. method .. " " .. path .. " failed: " .. tostring(res.stderr))
  return vim.json.decode(res.stdout)
end

function H.mock_requests()
  return http("GET", "/_mock/requests")
end

function H.mock_enqueue(response)
  return http("POST", "/_mock/enqueue", response)
end

function H.read_file(path)
  local f = io.open(path, "r")
  if not f then
    return nil
  end
  local s = f:read("*a")
  f:close()
  return s
end

function H.write_file(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

--- The number of the first line of `buf` that is exactly `text` (nil if none).
function H.line_of(buf, text)
  for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if l == text then
      return i
    end
  end
end

function H.buf_text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n") .. "\n"
end

-- ---------------------------------------------------------------------------------------
-- Recorders shared by the plugin scenarios

H.notes = {} -- every vim.notify message once record_notes() ran: {msg, level}

--- Replace vim.notify with a recorder (see H.noted).
function H.record_notes()
  vim.notify = function(msg, level)
    table.insert(H.notes, { msg = msg, level = level })
  end
end

--- The first recorded notification containing `needle` (plain text), or nil.
function H.noted(needle)
  for _, n in ipairs(H.notes) do
    if n.msg:find(needle, 1, true) then
      return n
    end
  end
end

H.seen = {} -- method -> the params of each codex/ notification, in order

--- Record every codex/ notification (the plugin's `User CodexNotification`); `each(args)`
--- also runs for each one.
function H.record_notifications(each)
  vim.api.nvim_create_autocmd("User", {
    pattern = "CodexNotification",
    callback = function(args)
      local list = H.seen[args.data.method] or {}
      H.seen[args.data.method] = list
      table.insert(list, args.data.params)
      if each then
        each(args)
      end
    end,
  })
end

--- The params of every `method` notification received so far.
function H.received(method)
  return H.seen[method] or {}
end

--- The n-th codex/turn/completed params, waited for (nil after the timeout).
function H.await_turn(n, ms)
  H.wait(ms or 60000, function()
    return H.received("codex/turn/completed")[n] ~= nil
  end, "completed turn " .. n)
  return H.received("codex/turn/completed")[n]
end

--- The items of a turn, from item/completed (or `method`) notifications.
function H.items_of(turn_id, method)
  local out = {}
  for _, p in ipairs(H.received(method or "codex/item/completed")) do
    if p.turnId == turn_id then
      table.insert(out, p.item)
    end
  end
  return out
end

--- Without `cond` the rest of the scenario cannot run: report and quit now.
function H.require(cond, name, detail)
  if not H.ok(cond, name, detail) then
    out("# aborting the scenario: " .. name)
    H.finish()
  end
end

--- Stop the LSP clients (waiting for them to exit), print the summary and quit.
function H.finish()
  local clients = vim.lsp.get_clients()
  for _, c in ipairs(clients) do
    c:stop()
  end
  vim.wait(5000, function()
    for _, c in ipairs(clients) do
      if not c:is_stopped() then
        return false
      end
    end
    return true
  end, 50)
  for _, c in ipairs(clients) do
    if not c:is_stopped() then
      c:stop(true)
    end
  end
  local summary = string.format("%d passed, %d failed", H.passed, H.failed)
  if H.skipped > 0 then
    summary = summary .. string.format(", %d skipped", H.skipped)
  end
  out(summary)
  if H.failed > 0 or H.passed == 0 then
    vim.cmd("cquit 1")
  else
    vim.cmd("qall!")
  end
end

return H
