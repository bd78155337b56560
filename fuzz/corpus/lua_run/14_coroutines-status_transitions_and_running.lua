-- Coroutines.
--## status transitions and running
local main = coroutine.running()
print(main)
local inner
inner = coroutine.create(function()
  print(coroutine.status(inner), coroutine.running() == inner)
  coroutine.yield()
end)
print(coroutine.status(inner))
coroutine.resume(inner)
print(coroutine.status(inner))
coroutine.resume(inner)
print(coroutine.status(inner))
