-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## keywords as field names via brackets and strings
local kw = {["end"] = 1, ["nil"] = 2, ["function"] = 3}
print(kw["end"], kw["nil"], kw["function"])
