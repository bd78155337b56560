-- error, pcall, xpcall: levels, non-string values, nesting.
--## xpcall with traceback-free handler
print(xpcall(function() error("boom") end, function(m) return "handled: " .. m end))
print(xpcall(function() return "fine", 2 end, print))
print(xpcall(function() error({1, 2}) end, function(m) return type(m) .. #m end))
print(xpcall(function() local x = nil; return x.y end, function(m) return (string.gsub(m, "^.-:%d+: ", "")) end))
