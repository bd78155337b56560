-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## assignment to nested fields and evaluation order of calls
local order = {}
local function mark(x) order[#order + 1] = x; return x end
local tt = {}
tt[mark("k1")], tt[mark("k2")] = mark("v1"), mark("v2")
print(table.concat(order, ","), tt.k1, tt.k2)
