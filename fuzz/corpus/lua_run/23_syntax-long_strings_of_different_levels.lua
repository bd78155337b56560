-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## long strings of different levels
print([[a]], [=[b]]c]=], [==[
skips first newline]==], #[[

two]])
