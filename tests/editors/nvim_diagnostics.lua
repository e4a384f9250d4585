-- Neovim's built-in LSP client against `modelspec lsp` (tests/test_neovim.py runs this headless).
-- Opens SPEC, waits for the diagnostics the server publishes, then edits the buffer as typing would
-- (without saving) and waits for each new set; writes every set to OUT as JSON, then quits.
local spec, out, python = os.getenv("MODELSPEC_SPEC"), os.getenv("MODELSPEC_OUT"), os.getenv("MODELSPEC_PYTHON")
local steps = {}

local function record(name, bufnr)
  local diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(diagnostics, {lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
                               message = d.message, severity = d.severity, source = d.source})
  end
  table.insert(steps, {step = name, diagnostics = diagnostics})
end

local function finish(status)
  local file = io.open(out, "w")
  file:write(vim.fn.json_encode({status = status, steps = steps}))
  file:close()
  vim.cmd("qa!")
end

vim.cmd("edit " .. vim.fn.fnameescape(spec))
local bufnr = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "modelspec",
  cmd = {python, "-m", "modelspec", "lsp", "--stdio"},
  root_dir = vim.fn.fnamemodify(spec, ":h"),
})
if not client_id then finish("the language server did not start") end
vim.lsp.buf_attach_client(bufnr, client_id)

local function wait_for(name, predicate)
  if not vim.wait(30000, function() return predicate(#vim.diagnostic.get(bufnr)) end, 20) then
    record(name, bufnr)
    finish("timed out waiting for " .. name)
  end
  record(name, bufnr)
end

-- 1. the file as saved: a shape error
wait_for("opened", function(n) return n > 0 end)

-- 2. the user fixes the pool window (pool_size: 64 -> 2) without saving
local line = vim.fn.search("pool_size: 64") - 1
local col = vim.api.nvim_buf_get_lines(bufnr, line, line + 1, false)[1]:find("64", 1, true) - 1
vim.api.nvim_buf_set_text(bufnr, line, col, line, col + 2, {"2"})
wait_for("fixed", function(n) return n == 0 end)

-- 3. hover on the first block, as K does
local params = {textDocument = {uri = vim.uri_from_bufnr(bufnr)}, position = {line = 3, character = 6}}
local replies = vim.lsp.buf_request_sync(bufnr, "textDocument/hover", params, 10000) or {}
for _, reply in pairs(replies) do
  if reply.result and reply.result.contents then
    table.insert(steps, {step = "hover", text = reply.result.contents.value or ""})
  end
end

-- 4. then types a reference to a block that does not exist
local last = vim.api.nvim_buf_line_count(bufnr)
vim.api.nvim_buf_set_lines(bufnr, last, last, false, {"  - {type: dense, units: 10, input: blokc1}"})
wait_for("typed a bad reference", function(n) return n > 0 end)

finish("ok")
