-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## numeric literal forms
print(0xA, 0Xff, 1e0, 1E+1, 1e-1, 3., .3, 0.3e1, 0x10 + 1)
