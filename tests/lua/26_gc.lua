-- collectgarbage options and allocation-heavy programs (outputs independent of collection timing).
--## collectgarbage options return types
print(type(collectgarbage("count")), collectgarbage("collect"), collectgarbage(), type(gcinfo()))
print(type(collectgarbage("step")), type(collectgarbage("setpause", 200)), type(collectgarbage("setstepmul", 200)))
print(pcall(collectgarbage, "bogus"))
collectgarbage("restart")
--## many short-lived tables
local keep = {}
for i = 1, 20000 do
  local t = {i, tostring(i), {i}}
  if i % 1000 == 0 then keep[#keep + 1] = t end
end
local s = 0
for _, t in ipairs(keep) do s = s + t[1] + #t[2] + t[3][1] end
print(#keep, s)
--## many short-lived strings
local last
for i = 1, 20000 do last = "str" .. i .. string.rep("x", i % 50) end
print(#last, last:sub(1, 8))
--## closures created in a loop and dropped
local sum = 0
for i = 1, 5000 do
  local f = function(x) return x + i end
  sum = sum + f(1)
end
print(sum)
--## long linked list survives collections
local head = nil
for i = 1, 5000 do head = {v = i, next = head} end
collectgarbage()
local n, total = 0, 0
while head do n = n + 1; total = total + head.v; head = head.next end
print(n, total)
--## cyclic structures are collected without breaking live ones
local live = {}
for i = 1, 1000 do
  local a, b = {}, {}
  a.other = b; b.other = a
  if i % 100 == 0 then live[#live + 1] = a end
end
collectgarbage()
local ok = true
for _, a in ipairs(live) do if a.other.other ~= a then ok = false end end
print(#live, ok)
--## strings used as keys survive collection
local dict = {}
for i = 1, 2000 do dict["key" .. i] = i end
collectgarbage()
local found = 0
for i = 1, 2000 do if dict["key" .. i] == i then found = found + 1 end end
print(found)
--## coroutines with pending state survive collection
local cos = {}
for i = 1, 50 do
  cos[i] = coroutine.wrap(function() local acc = {} ; for j = 1, 3 do acc[j] = i * j; coroutine.yield() end; return table.concat(acc, ",") end)
end
for round = 1, 3 do for i = 1, 50 do cos[i]() end; collectgarbage() end
print(cos[1](), cos[50]())
--## upvalues of dropped closures
local getters = {}
for i = 1, 100 do local box = {i}; getters[i] = function() return box[1] end end
collectgarbage()
local gs = 0
for i = 1, 100 do gs = gs + getters[i]() end
print(gs)
