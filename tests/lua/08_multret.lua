-- Multiple results and their adjustment.
local function mr() return 1, 2, 3 end
--## adjustment in assignments
local a, b, c, d = mr()
print(a, b, c, d)
local x, y = mr(), 10
print(x, y)
local p, q, r = 0, mr()
print(p, q, r)
--## parentheses truncate
print((mr()))
print(mr(), (mr()))
local t = {(mr())}
print(#t)
--## results in middle of list truncated
print(mr(), mr())
--## no results
local function none() end
print(none())
print((none()))
print(none(), 1)
local z = none()
print(z, select("#", none()), select("#", (none())))
--## tail calls return all results
local function tail(n) if n == 0 then return mr() end return tail(n - 1) end
print(tail(100))
local function deep(n) if n == 0 then return "bottom" end return deep(n - 1) end
print(deep(50000))
--## multiple assignment evaluation order
local i = 1
local arr = {}
i, arr[i] = i + 1, 20
print(i, arr[1], arr[2])
local m, n = 1, 2
m, n = n, m
print(m, n)
--## string.find and gsub return counts
local s, e = string.find("hello", "ll")
print(s, e, (string.gsub("aaa", "a", "b")))
print(string.gsub("aaa", "a", "b"))
