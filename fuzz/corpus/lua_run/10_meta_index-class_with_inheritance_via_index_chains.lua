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
