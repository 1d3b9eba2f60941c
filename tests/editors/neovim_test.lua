-- End-to-end test of editors/neovim with a real Neovim 0.11 (run by tests/editors/neovim.sh):
--   nvim --clean [--cmd 'set rtp^=editors/neovim'] -l tests/editors/neovim_test.lua WORKSPACE SETUP
-- with `brine` on PATH. SETUP is a configuration exactly as editors/neovim/README.md shows it.
-- Opens app.py, waits for BRN102, lists the code actions, applies "Add `weights_only=True`"
-- through vim.lsp.buf.code_action, waits for the diagnostic to go away, checks that cache.py (never
-- opened) has its finding in vim.diagnostic.get() and the quickfix list, and applies
-- source.fixAll.brine to config.py.

local workspace = assert(arg[1], 'usage: neovim_test.lua WORKSPACE SETUP.lua')
local setup = assert(arg[2], 'usage: neovim_test.lua WORKSPACE SETUP.lua')
local TITLE = 'Add `weights_only=True`'
local TIMEOUT = tonumber(os.getenv('BRINE_NVIM_WAIT_MS') or '') or 30000
local started = vim.uv.hrtime()

local function log(fmt, ...)
  local elapsed = (vim.uv.hrtime() - started) / 1e9
  io.stdout:write(string.format('[%6.2fs] ', elapsed) .. string.format(fmt, ...) .. '\n')
  io.stdout:flush()
end

local function describe_diagnostics()
  local lines = {}
  for _, d in ipairs(vim.diagnostic.get()) do
    lines[#lines + 1] = string.format(
      '  %s:%d:%d %s [%s] %s',
      vim.fn.fnamemodify(vim.api.nvim_buf_get_name(d.bufnr), ':t'),
      d.lnum + 1,
      d.col + 1,
      tostring(d.code),
      tostring(d.source),
      d.message
    )
  end
  return #lines > 0 and table.concat(lines, '\n') or '  (none)'
end

local function fail(fmt, ...)
  log('FAIL: ' .. fmt, ...)
  log('all diagnostics:\n%s', describe_diagnostics())
  local path = vim.lsp.get_log_path()
  local file = io.open(path, 'r')
  if file then
    local content = file:read('*a')
    file:close()
    log('last lines of %s:\n%s', path, content:sub(-4000))
  end
  os.exit(1)
end

local function wait_for(what, condition)
  log('waiting for %s', what)
  if not vim.wait(TIMEOUT, condition, 50) then
    fail('timed out after %d ms waiting for %s', TIMEOUT, what)
  end
  log('ok: %s', what)
end

local function find(bufnr, code)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == code and d.source == 'brine' then
      return d
    end
  end
end

vim.lsp.set_log_level('info')

-- The document version of the last diagnostics published per file (false: a file not open).
-- Code actions are computed from the diagnostics published for the open version, so they are
-- awaited before asking.
local published = {}
local publish_diagnostics = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
  if result then
    published[vim.fs.normalize(vim.uri_to_fname(result.uri))] = result.version or false
  end
  return publish_diagnostics(err, result, ctx, config)
end
local function published_for_open(bufnr)
  return type(published[vim.fs.normalize(vim.api.nvim_buf_get_name(bufnr))]) == 'number'
end

-- A setup from editors/neovim/README.md: `vim.lsp.enable('brine')` with editors/neovim on the
-- runtimepath, or the inline `vim.lsp.config` block.
log('setup %s:\n%s', setup, table.concat(vim.fn.readfile(setup), '\n'))
dofile(setup)

vim.cmd.edit(vim.fs.joinpath(workspace, 'app.py'))
local buf = vim.api.nvim_get_current_buf()
if vim.bo[buf].filetype ~= 'python' then
  fail('app.py has filetype %q', vim.bo[buf].filetype)
end

local client
wait_for('the brine client to attach to app.py', function()
  client = vim.lsp.get_clients({ bufnr = buf, name = 'brine' })[1]
  return client ~= nil and client.initialized
end)
log('server %s %s, root %s', client.server_info and client.server_info.name or '?',
  client.server_info and client.server_info.version or '?', tostring(client.root_dir))
if vim.fs.normalize(client.root_dir or '') ~= vim.fs.normalize(workspace) then
  fail('root_dir is %s, expected %s (root_markers)', tostring(client.root_dir), workspace)
end

local finding
wait_for('BRN102 on app.py', function()
  finding = find(buf, 'BRN102')
  return finding ~= nil and published_for_open(buf)
end)
log('diagnostic: %d:%d %s (severity %d)', finding.lnum + 1, finding.col + 1, finding.message, finding.severity)
if finding.lnum ~= 6 or finding.severity ~= vim.diagnostic.severity.WARN then
  fail('unexpected BRN102 diagnostic position or severity')
end

-- The code actions on the finding, as `gra` would request them.
vim.api.nvim_win_set_cursor(0, { finding.lnum + 1, finding.col })
local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
params.context = {
  diagnostics = { finding.user_data.lsp },
  triggerKind = vim.lsp.protocol.CodeActionTriggerKind.Invoked,
}
local response = client:request_sync('textDocument/codeAction', params, TIMEOUT, buf)
if not response or response.err then
  fail('textDocument/codeAction failed: %s', vim.inspect(response))
end
local titles = {}
for _, action in ipairs(response.result or {}) do
  titles[#titles + 1] = action.title
end
log('code actions: %s', table.concat(titles, ' | '))
if not vim.tbl_contains(titles, TITLE) then
  fail('no %q code action', TITLE)
end
if not vim.tbl_contains(titles, 'Ignore BRN102 on this line') then
  fail('no "Ignore BRN102 on this line" code action')
end

-- Apply it the way a user does (`gra`, then choosing it), without the menu.
vim.lsp.buf.code_action({
  filter = function(action)
    return action.title == TITLE
  end,
  apply = true,
})
wait_for('the fix in the buffer', function()
  return vim.api.nvim_buf_get_lines(buf, 6, 7, false)[1] == '    return torch.load(path, weights_only=True)'
end)
wait_for('BRN102 to go away after the edit', function()
  return find(buf, 'BRN102') == nil
end)

-- The workspace index: a file never opened has its diagnostics too.
local other
wait_for('BRN101 of cache.py in vim.diagnostic.get()', function()
  for _, d in ipairs(vim.diagnostic.get()) do
    if d.code == 'BRN101' and vim.api.nvim_buf_get_name(d.bufnr):match('cache%.py$') then
      other = d
      return true
    end
  end
  return false
end)
if vim.api.nvim_buf_is_loaded(other.bufnr) then
  fail('cache.py was loaded; it must only have been indexed')
end
vim.diagnostic.setqflist({ open = false })
local in_list = false
for _, item in ipairs(vim.fn.getqflist()) do
  if item.bufnr == other.bufnr then
    in_list = true
  end
end
if not in_list then
  fail('cache.py is not in the workspace diagnostics list (vim.diagnostic.setqflist)')
end
log('ok: cache.py is in the quickfix list from vim.diagnostic.setqflist()')
log('all diagnostics:\n%s', describe_diagnostics())

-- source.fixAll.brine, as the README shows it, on a file with a safe fix (yaml.load -> Loader).
vim.cmd.edit(vim.fs.joinpath(workspace, 'config.py'))
local config_buf = vim.api.nvim_get_current_buf()
wait_for('BRN104 on config.py, published for the opened document', function()
  return find(config_buf, 'BRN104') ~= nil and published_for_open(config_buf)
end)
vim.lsp.buf.code_action({ context = { only = { 'source.fixAll.brine' } }, apply = true })
wait_for('the safe fix of config.py applied by source.fixAll.brine', function()
  local line = vim.api.nvim_buf_get_lines(config_buf, 7, 8, false)[1] or ''
  return line ~= '        return yaml.load(f)' and line:match('yaml%.') ~= nil
end)
log('config.py line 8 is now: %s', vim.api.nvim_buf_get_lines(config_buf, 7, 8, false)[1])
wait_for('BRN104 to go away after the fix-all', function()
  return find(config_buf, 'BRN104') == nil
end)

client:stop()
vim.wait(5000, function()
  return client:is_stopped()
end, 50)
log('PASS: neovim end-to-end')
os.exit(0)
