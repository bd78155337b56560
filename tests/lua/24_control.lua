-- Control flow: loops, break, nested scopes, recursion depth.
--## while with break
local i = 0
while true do i = i + 1; if i > 5 then break end end
print(i)
--## repeat until with local in condition
local n = 0
repeat local done = n >= 3; n = n + 1 until done
print(n)
--## nested loops with break only breaking inner
local pairs_found = {}
for a = 1, 4 do
  for b = 1, 4 do
    if b > a then break end
    if (a + b) % 3 == 0 then pairs_found[#pairs_found + 1] = a .. b end
  end
end
print(table.concat(pairs_found, " "))
--## generic for with custom iterator
local function iter(limit)
  return function(state, ctl)
    if ctl >= limit then return nil end
    return ctl + 1, (ctl + 1) ^ 2
  end, nil, 0
end
for k, v in iter(4) do io_sq = (io_sq or "") .. k .. "=" .. v .. " " end
print(io_sq)
--## stateful iterator over a table
local function values(t)
  local idx = 0
  return function() idx = idx + 1; return t[idx] end
end
local s = 0
for v in values({4, 5, 6}) do s = s + v end
print(s)
--## for loop limits evaluated once
local lim = 3
local count = 0
for j = 1, lim do lim = 10; count = count + 1 end
print(count, lim)
--## float loop accumulations
local steps = 0
for x = 0, 1, 0.1 do steps = steps + 1 end
print(steps)
local down = {}
for x = 10, 1, -3 do down[#down + 1] = x end
print(table.concat(down, ","))
--## if elseif chains
local function classify(v)
  if type(v) == "number" then
    if v < 0 then return "neg" elseif v == 0 then return "zero" elseif v < 10 then return "small" else return "big" end
  elseif type(v) == "string" then return "str"
  else return "other" end
end
print(classify(-1), classify(0), classify(5), classify(50), classify("x"), classify(nil))
--## deep recursion within limits
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
print(depth(5000))
--## stack overflow is catchable
local function inf(n) return 1 + inf(n + 1) end
local ok, err = pcall(inf, 1)
print(ok, (string.gsub(err, "^.-:%d+: ", "")))
--## block scoping shadows
local v = "outer"
do local v = "inner"; print(v) end
print(v)
local v = "shadow"
print(v)
