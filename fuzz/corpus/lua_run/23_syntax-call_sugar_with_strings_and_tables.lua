-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## call sugar with strings and tables
local function id(x) return x end
print(id"str", id[[long]], type(id{1, 2}), #id{1, 2, 3})
local obj = {v = 5}
function obj:get(x) return self.v + (x or 0) end
print(obj:get(), obj:get(1), obj.get(obj, 2), obj:get"3")
