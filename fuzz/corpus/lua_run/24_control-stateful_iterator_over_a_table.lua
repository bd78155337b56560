-- Control flow: loops, break, nested scopes, recursion depth.
--## stateful iterator over a table
local function values(t)
  local idx = 0
  return function() idx = idx + 1; return t[idx] end
end
local s = 0
for v in values({4, 5, 6}) do s = s + v end
print(s)
