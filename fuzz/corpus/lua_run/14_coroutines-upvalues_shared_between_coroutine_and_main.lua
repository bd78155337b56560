-- Coroutines.
--## upvalues shared between coroutine and main
local shared = 0
local inc = coroutine.wrap(function() while true do shared = shared + 1; coroutine.yield(shared) end end)
inc(); inc()
shared = shared + 10
print(inc(), shared)
