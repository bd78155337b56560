-- __call, __eq, __lt, __le, __len, __metatable, __tostring, __mode.
--## weak tables after collection
local weak = setmetatable({}, {__mode = "k"})
local strong = {}
local function fill()
  local k1 = {}
  weak[k1] = "a"
  weak[strong] = "b"
end
fill()
collectgarbage()
collectgarbage()
local n = 0
for k, v in pairs(weak) do n = n + 1 end
print(n, weak[strong])
local wv = setmetatable({}, {__mode = "v"})
local function fillv() wv[1] = {}; wv[2] = strong; wv[3] = "str"; wv[4] = 7 end
fillv()
collectgarbage()
print(wv[1], wv[2] == strong, wv[3], wv[4])
