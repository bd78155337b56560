-- Control flow: loops, break, nested scopes, recursion depth.
--## stack overflow is catchable
local function inf(n) return 1 + inf(n + 1) end
local ok, err = pcall(inf, 1)
print(ok, (string.gsub(err, "^.-:%d+: ", "")))
