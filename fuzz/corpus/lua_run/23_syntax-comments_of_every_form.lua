-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## comments of every form
local c = 1 -- line comment
--[[ block
comment ]] c = c + 1
--[==[ level two ]] still comment ]==] c = c + 1
---[[ not a block comment
c = c + 10
--]]
print(c)
