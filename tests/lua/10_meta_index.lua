-- __index/__newindex, inheritance chains, rawget/rawset.
--## class with inheritance via __index chains
local Animal = {}
Animal.__index = Animal
function Animal.new(name, sound) return setmetatable({name = name, sound = sound}, Animal) end
function Animal:speak() return self.name .. " says " .. self.sound end
function Animal:kind() return "animal" end
local Dog = setmetatable({}, {__index = Animal})
Dog.__index = Dog
function Dog.new(name) local d = Animal.new(name, "woof"); return setmetatable(d, Dog) end
function Dog:kind() return "dog" end
local Puppy = setmetatable({}, {__index = Dog})
Puppy.__index = Puppy
function Puppy.new(name) return setmetatable(Dog.new(name), Puppy) end
function Puppy:speak() return Dog.speak(self) .. " (tiny)" end
local a, d, p = Animal.new("cat", "meow"), Dog.new("rex"), Puppy.new("bit")
print(a:speak(), a:kind())
print(d:speak(), d:kind())
print(p:speak(), p:kind(), p.missing)
print(getmetatable(p) == Puppy, rawget(p, "speak"), rawget(Puppy, "kind"))
--## __newindex table and function
local store = {}
local proxy = setmetatable({}, {__newindex = store})
proxy.a = 1
print(rawget(proxy, "a"), store.a)
local log = {}
local watched = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k .. "=" .. tostring(v); rawset(t, k, v) end})
watched.x = 1; watched.x = 2; watched.y = nil
print(watched.x, table.concat(log, " "))
--## __index not consulted for present keys
local base = {v = "base"}
local obj = setmetatable({v = "own"}, {__index = base})
print(obj.v, obj.w)
obj.v = nil
print(obj.v)
--## read-only table
local function readonly(t)
  return setmetatable({}, {__index = t, __newindex = function(_, k) error("attempt to update read-only field " .. tostring(k), 2) end})
end
local ro = readonly({a = 1})
print(ro.a, pcall(function() ro.a = 2 end))
--## default values
local defaults = setmetatable({}, {__index = function() return 0 end})
defaults.x = defaults.x + 5
defaults.y = defaults.y + 1
print(defaults.x, defaults.y, defaults.z)
--## __index loop chain depth
local chain = {}
local last = {deep = "found"}
for i = 1, 50 do last = setmetatable({}, {__index = last}) end
print(last.deep)
--## rawset and rawget bypass
local mt = {__index = function() return "meta" end, __newindex = function() error("no") end}
local t = setmetatable({}, mt)
rawset(t, "k", "v")
print(t.k, rawget(t, "other"), t.other)
print(pcall(rawset, t, nil, 1))
print(pcall(rawget, "str", 1))
--## __index on strings via string metatable
local s = "hello"
print(s:upper(), type(s.len), ("x"):rep(3), #s:sub(2))
