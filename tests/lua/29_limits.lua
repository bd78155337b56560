-- Implementation limits of Lua 5.1 that scripts can reach: C stack, registers, locals, upvalues, syntax depth.
local function gen(n, f) local t = {} for i = 1, n do t[i] = f(i) end return table.concat(t) end
--## unpack and call argument limits
local t = {}
for i = 1, 7990 do t[i] = i end
print(select("#", unpack(t)))
for i = 1, 10000 do t[i] = i end
print(pcall(unpack, t))
print(pcall(string.char, unpack(t, 1, 300)))
local args = {}
for i = 1, 250 do args[i] = i end
print(select("#", unpack(args)), math.max(unpack(args)))
--## big table constructors use several SETLIST batches
local src = "return {" .. gen(1000, function(i) return i .. "," end) .. "}"
local big = loadstring(src)()
print(#big, big[1], big[50], big[51], big[1000])
local src2 = "return {" .. gen(60, function(i) return "k" .. i .. "=" .. i .. "," end) .. gen(60, function(i) return i .. "," end) .. "}"
local mixed = loadstring(src2)()
print(#mixed, mixed.k60, mixed[60])
--## long concatenation chains
local chain = "return " .. gen(150, function(i) return "'" .. (i % 10) .. "'" .. (i < 150 and " .. " or "") end)
print(loadstring(chain)())
local sum = "return " .. gen(300, function(i) return i .. (i < 300 and " + " or "") end)
print(loadstring(sum)())
--## too many locals
local ok200 = "local " .. gen(199, function(i) return "a" .. i .. (i < 199 and ", " or "") end) .. " = 1 return a1"
print(loadstring(ok200)())
local bad = "local " .. gen(201, function(i) return "a" .. i .. (i < 201 and ", " or "") end) .. " = 1"
print(loadstring(bad))
--## too many upvalues
local ups = gen(61, function(i) return "local u" .. i .. " = " .. i .. "\n" end)
local body = "return function() return " .. gen(61, function(i) return "u" .. i .. (i < 61 and " + " or "") end) .. " end"
print(loadstring(ups .. body))
local ups60 = gen(60, function(i) return "local u" .. i .. " = " .. i .. "\n" end)
local body60 = "return (function() return " .. gen(60, function(i) return "u" .. i .. (i < 60 and " + " or "") end) .. " end)()"
print(loadstring(ups60 .. body60)())
--## syntax nesting depth
local deep = "return " .. string.rep("(", 150) .. "1" .. string.rep(")", 150)
print(loadstring(deep)())
local toodeep = "return " .. string.rep("(", 300) .. "1" .. string.rep(")", 300)
print(loadstring(toodeep))
local nestedtables = "return " .. string.rep("{", 100) .. string.rep("}", 100)
print(type(loadstring(nestedtables)()))
--## C stack overflow through metamethods and pcall nesting
local mt = {}
mt.__index = function(t, k) return setmetatable({}, mt)[k] end
print(pcall(function() return setmetatable({}, mt).x end))
local function nest(n) if n == 0 then return "bottom" end return select(2, pcall(nest, n - 1)) end
print(nest(100))
print(nest(190))
print(nest(250))
--## many constants in one function
local consts = "local t = {} " .. gen(300, function(i) return "t[" .. i .. "] = 's" .. i .. "' " end) .. " return t[300], #t"
print(loadstring(consts)())
--## long strings and string building
local s = string.rep("abc", 100000)
print(#s, s:sub(-3), #(s .. s), select(2, s:gsub("abc", "")))
