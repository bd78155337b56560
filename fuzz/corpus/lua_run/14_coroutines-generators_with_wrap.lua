-- Coroutines.
--## generators with wrap
local function range(n)
  return coroutine.wrap(function() for i = 1, n do coroutine.yield(i) end end)
end
local acc = {}
for v in range(5) do acc[#acc + 1] = v end
print(table.concat(acc, ","))
