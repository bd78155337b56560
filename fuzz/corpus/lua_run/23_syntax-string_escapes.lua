-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## string escapes
print("\a\b" == "\7\8", "\f\v" == "\12\11", "\065\066\067", "\\", '\"', "\'", "\n" == "\10", "\r" == "\13")
