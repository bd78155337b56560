-- Coroutines.
--## yield across pcall is an error in 5.1
local y = coroutine.create(function()
  local ok, e = pcall(coroutine.yield, 1)
  return ok, e
end)
print(coroutine.resume(y))
print(coroutine.resume(y, "resumed"))
