-- brine language server for Neovim 0.11+ (`:help lsp-config`).
--
-- Put this folder (editors/neovim) on 'runtimepath', or copy this file to
-- ~/.config/nvim/lsp/brine.lua, then enable it from your init.lua:
--
--   vim.lsp.enable('brine')
--
-- Change any field with vim.lsp.config('brine', { ... }), for example the binary:
--
--   vim.lsp.config('brine', { cmd = { '/path/to/brine', 'server', '--stdio' } })

---@type vim.lsp.Config
return {
  cmd = { 'brine', 'server', '--stdio' },
  filetypes = { 'python' },
  -- The workspace folder is the nearest ancestor with one of these; brine checks every Python file
  -- under it, opened or not.
  root_markers = {
    'brine.toml',
    'pyproject.toml',
    'setup.py',
    'setup.cfg',
    'requirements.txt',
    '.git',
  },
  -- Editor-level overrides, all optional (the project's pyproject.toml/brine.toml otherwise):
  --   select      rule codes or prefixes to report, like `brine check --select` (replaces the
  --               project's `select`), e.g. { 'BRN1', 'BRN201' }
  --   ignore      codes or prefixes not to report, added to the project's `ignore`
  --   threatModel "remote" or "local": which sources make a finding an error
  -- Set them with vim.lsp.config('brine', { settings = { brine = { ignore = { 'BRN104' } } } }).
  settings = {},
  -- Send the same settings at startup, so the first index already uses them.
  before_init = function(params, config)
    local brine = config.settings and config.settings.brine
    if type(brine) == 'table' and next(brine) ~= nil then
      params.initializationOptions = brine
    end
  end,
}
