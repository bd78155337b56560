-- Coroutines.
--## resume errors
print(coroutine.resume(coroutine.create(function() end)))
local dead = coroutine.create(function() end)
coroutine.resume(dead)
print(coroutine.resume(dead))
print(pcall(coroutine.resume, 1))
print(pcall(coroutine.create, 1))
local selfres
selfres = coroutine.create(function() return coroutine.resume(selfres) end)
print(coroutine.resume(selfres))
print(pcall(coroutine.yield, 1))
