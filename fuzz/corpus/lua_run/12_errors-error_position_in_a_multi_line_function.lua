-- error, pcall, xpcall: levels, non-string values, nesting.
--## error position in a multi-line function
local function multi()
  local a = 1
  local b = 2
  error("line four")
end
print(pcall(multi))
