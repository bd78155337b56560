-- Closures and upvalues.
--## upvalue of a parameter
local function mk(p) return function(q) p = p .. q; return p end end
local app = mk("x")
print(app("y"), app("z"))
