-- error, pcall, xpcall: levels, non-string values, nesting.
--## nested pcall
print(pcall(pcall, error, "inner"))
print(pcall(function()
  local ok, err = pcall(error, "first")
  error("second: " .. err, 0)
end))
