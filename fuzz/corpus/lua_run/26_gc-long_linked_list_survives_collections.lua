-- collectgarbage options and allocation-heavy programs (outputs independent of collection timing).
--## long linked list survives collections
local head = nil
for i = 1, 5000 do head = {v = i, next = head} end
collectgarbage()
local n, total = 0, 0
while head do n = n + 1; total = total + head.v; head = head.next end
print(n, total)
