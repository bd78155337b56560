-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## semicolons and empty statements
local a = 1; local b = 2;
print(a + b); do local c = 3; end; print("after semicolons");
print(loadstring(";"), loadstring("local x = 1;;"), type(loadstring("return;")), type(loadstring("local x = 1; return x;")))
--## comments of every form
local c = 1 -- line comment
--[[ block
comment ]] c = c + 1
--[==[ level two ]] still comment ]==] c = c + 1
---[[ not a block comment
c = c + 10
--]]
print(c)
--## long strings of different levels
print([[a]], [=[b]]c]=], [==[
skips first newline]==], #[[

two]])
--## call sugar with strings and tables
local function id(x) return x end
print(id"str", id[[long]], type(id{1, 2}), #id{1, 2, 3})
local obj = {v = 5}
function obj:get(x) return self.v + (x or 0) end
print(obj:get(), obj:get(1), obj.get(obj, 2), obj:get"3")
--## method definitions with dots
local ns = {inner = {}}
function ns.inner.f(x) return x * 2 end
function ns.inner:g(x) return self == ns.inner, x end
print(ns.inner.f(4), ns.inner:g(7))
--## table constructors with all separators
local t = {1, 2; 3, x = 1; ["y z"] = 2, [1 + 3] = 4,}
print(#t, t.x, t["y z"], t[4])
local nested = {{1, {2, {3}}}, k = {k = {k = "deep"}}}
print(nested[1][2][2][1], nested.k.k.k)
--## operators without spaces and unary chains
local x = 5
print(x-1, x- -1, - -x, not not x, -x^2, 2^-1, 1-(-1))
print(#"abc"..#"de", "a".."b".."c", 1 .."")
--## numeric literal forms
print(0xA, 0Xff, 1e0, 1E+1, 1e-1, 3., .3, 0.3e1, 0x10 + 1)
--## keywords as field names via brackets and strings
local kw = {["end"] = 1, ["nil"] = 2, ["function"] = 3}
print(kw["end"], kw["nil"], kw["function"])
--## local function vs local f = function recursion
local function rec(n) if n == 0 then return "r" end return rec(n - 1) end
local notrec = function(n) return n end
print(rec(3), notrec(3))
--## assignment to nested fields and evaluation order of calls
local order = {}
local function mark(x) order[#order + 1] = x; return x end
local tt = {}
tt[mark("k1")], tt[mark("k2")] = mark("v1"), mark("v2")
print(table.concat(order, ","), tt.k1, tt.k2)
--## string escapes
print("\a\b" == "\7\8", "\f\v" == "\12\11", "\065\066\067", "\\", '\"', "\'", "\n" == "\10", "\r" == "\13")
