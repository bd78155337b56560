-- pairs/next iteration order for string and number keys (must equal the reference interpreter).
local function keys(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
  return table.concat(out, " ")
end
--## number keys normalized
local nk = {}
nk[1] = "a"; nk[1.0] = "b"; nk[2^53] = "big"; nk[-0] = "zero"
print(keys(nk))
