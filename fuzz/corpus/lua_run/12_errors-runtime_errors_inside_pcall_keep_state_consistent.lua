-- error, pcall, xpcall: levels, non-string values, nesting.
--## runtime errors inside pcall keep state consistent
local t = {}
for i = 1, 5 do
  local ok = pcall(function() t[i] = i; if i % 2 == 0 then error("even") end end)
  t[#t + 1] = ok and "ok" or "err"
end
print(table.concat(t, " "))
