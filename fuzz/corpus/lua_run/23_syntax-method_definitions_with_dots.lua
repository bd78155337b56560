-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## method definitions with dots
local ns = {inner = {}}
function ns.inner.f(x) return x * 2 end
function ns.inner:g(x) return self == ns.inner, x end
print(ns.inner.f(4), ns.inner:g(7))
