-- Coroutines.
--## yield from metamethod is an error
local mco = coroutine.create(function()
  local t = setmetatable({}, {__index = function() return coroutine.yield("from meta") end})
  return t.x
end)
print(coroutine.resume(mco))
