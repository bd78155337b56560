-- collectgarbage options and allocation-heavy programs (outputs independent of collection timing).
--## coroutines with pending state survive collection
local cos = {}
for i = 1, 50 do
  cos[i] = coroutine.wrap(function() local acc = {} ; for j = 1, 3 do acc[j] = i * j; coroutine.yield() end; return table.concat(acc, ",") end)
end
for round = 1, 3 do for i = 1, 50 do cos[i]() end; collectgarbage() end
print(cos[1](), cos[50]())
