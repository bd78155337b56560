-- collectgarbage options and allocation-heavy programs (outputs independent of collection timing).
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
