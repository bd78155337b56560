-- Whole programs: classic algorithms as a sanity check of everything together.
--## sieve of eratosthenes
local function sieve(n)
  local is = {}
  for i = 2, n do is[i] = true end
  for i = 2, math.floor(math.sqrt(n)) do
    if is[i] then for j = i * i, n, i do is[j] = false end end
  end
  local out = {}
  for i = 2, n do if is[i] then out[#out + 1] = i end end
  return out
end
local p = sieve(1000)
print(#p, p[1], p[#p], table.concat(sieve(50), " "))
--## quicksort implemented in Lua
local function qsort(t, lo, hi)
  lo = lo or 1; hi = hi or #t
  if lo < hi then
    local pivot, i = t[hi], lo - 1
    for j = lo, hi - 1 do if t[j] <= pivot then i = i + 1; t[i], t[j] = t[j], t[i] end end
    t[i + 1], t[hi] = t[hi], t[i + 1]
    qsort(t, lo, i); qsort(t, i + 2, hi)
  end
  return t
end
print(table.concat(qsort({9, 3, 7, 1, 8, 2, 6, 4, 5, 0, 3, 7}), ","))
--## string building and word frequency
local text = "the quick brown fox jumps over the lazy dog the fox"
local freq = {}
for w in text:gmatch("%a+") do freq[w] = (freq[w] or 0) + 1 end
local words = {}
for w, c in pairs(freq) do words[#words + 1] = w end
table.sort(words, function(a, b) if freq[a] ~= freq[b] then return freq[a] > freq[b] end return a < b end)
local out = {}
for i = 1, 4 do out[i] = words[i] .. "=" .. freq[words[i]] end
print(table.concat(out, " "))
--## memoized fibonacci with big numbers
local memo = {}
local function fib(n) if n <= 2 then return 1 end if memo[n] then return memo[n] end local v = fib(n - 1) + fib(n - 2); memo[n] = v; return v end
print(fib(50), fib(78), fib(100))
--## binary search
local arr = {}
for i = 1, 1000 do arr[i] = i * 3 end
local function bsearch(t, x)
  local lo, hi = 1, #t
  while lo <= hi do
    local mid = math.floor((lo + hi) / 2)
    if t[mid] == x then return mid elseif t[mid] < x then lo = mid + 1 else hi = mid - 1 end
  end
  return nil
end
print(bsearch(arr, 300), bsearch(arr, 301), bsearch(arr, 3000), bsearch(arr, 3))
--## matrix multiply
local function matmul(a, b)
  local n, m, p = #a, #b, #b[1]
  local c = {}
  for i = 1, n do
    c[i] = {}
    for j = 1, p do
      local s = 0
      for k = 1, m do s = s + a[i][k] * b[k][j] end
      c[i][j] = s
    end
  end
  return c
end
local c = matmul({{1, 2}, {3, 4}}, {{5, 6}, {7, 8}})
print(c[1][1], c[1][2], c[2][1], c[2][2])
--## json-like serializer with sorted keys
local function ser(v)
  if type(v) == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. ":" .. ser(v[k]) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif type(v) == "string" then return string.format("%q", v)
  else return tostring(v) end
end
print(ser({b = {1, 2, {x = "y"}}, a = true, [3] = 4.5, c = "q\"uote"}))
--## string split and join
local function split(s, sep)
  local out = {}
  for piece in (s .. sep):gmatch("(.-)" .. sep:gsub("%p", "%%%0")) do out[#out + 1] = piece end
  return out
end
local parts = split("a,b,,c", ",")
print(#parts, table.concat(parts, "|"), #split("x.y.z", "."))
--## arithmetic loop accumulation
local acc = 0
for i = 1, 100000 do acc = (acc + i * 7) % 1000003 end
print(acc)
