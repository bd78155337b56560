-- pairs/next iteration order for string and number keys (must equal the reference interpreter).
local function keys(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
  return table.concat(out, " ")
end
--## string keys in constructor
print(keys({alpha = 1, beta = 2, gamma = 3, delta = 4, epsilon = 5}))
print(keys({a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8, i = 9}))
--## string keys added one by one
local t = {}
for _, k in ipairs({"name", "age", "city", "zip", "email", "phone", "country", "x", "y", "z"}) do t[k] = #k end
print(keys(t))
--## number keys mixed with array part
print(keys({10, 20, 30, [5] = 50, [100] = 1, [-1] = 2, [0] = 3, [1.5] = 4}))
local m = {}
for i = 20, 1, -1 do m[i * 3] = i end
print(keys(m))
--## mixed keys and deletion during traversal
local mix = {1, 2, 3, x = "x", y = "y", [10] = 10, [2.5] = "f"}
for k in pairs(mix) do if type(k) == "string" then mix[k] = nil end end
print(keys(mix))
--## growth and rehash
local g = {}
for i = 1, 40 do g["k" .. i] = i end
print(keys(g))
for i = 1, 40, 2 do g["k" .. i] = nil end
g.new1 = true; g.new2 = false
print(keys(g))
--## next directly
local n = {x = 1}
print(next(n), next(n, "x"), next({}), pcall(next, n, "nope"))
print(next({}, nil), type(next))
--## ipairs stops at first nil
local out = {}
for i, v in ipairs({1, 2, nil, 4}) do out[#out + 1] = i .. ":" .. v end
print(table.concat(out, " "))
local cnt = 0
for i, v in ipairs({[2] = 2}) do cnt = cnt + 1 end
print(cnt)
--## number keys normalized
local nk = {}
nk[1] = "a"; nk[1.0] = "b"; nk[2^53] = "big"; nk[-0] = "zero"
print(keys(nk))
--## boolean keys
print(keys({[true] = "t", [false] = "f"}))
