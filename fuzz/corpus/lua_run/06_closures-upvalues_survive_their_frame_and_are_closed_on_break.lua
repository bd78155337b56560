-- Closures and upvalues.
--## upvalues survive their frame and are closed on break
local saved
for i = 1, 10 do
  local z = i * 100
  saved = function() return z end
  if i == 4 then break end
end
print(saved())
