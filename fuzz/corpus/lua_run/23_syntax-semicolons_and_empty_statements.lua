-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## semicolons and empty statements
local a = 1; local b = 2;
print(a + b); do local c = 3; end; print("after semicolons");
print(loadstring(";"), loadstring("local x = 1;;"), type(loadstring("return;")), type(loadstring("local x = 1; return x;")))
