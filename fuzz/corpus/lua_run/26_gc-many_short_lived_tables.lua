-- collectgarbage options and allocation-heavy programs (outputs independent of collection timing).
--## many short-lived tables
local keep = {}
for i = 1, 20000 do
  local t = {i, tostring(i), {i}}
  if i % 1000 == 0 then keep[#keep + 1] = t end
end
local s = 0
for _, t in ipairs(keep) do s = s + t[1] + #t[2] + t[3][1] end
print(#keep, s)
