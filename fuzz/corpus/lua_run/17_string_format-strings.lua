-- string.format with every option.
--## strings
print(string.format("%s|%10s|%-10s|%.2s", "abc", "abc", "abc", "abc"))
print(string.format("%s %s %s %s", 1, 1.5, true == true and "t" or "f", tostring(nil == nil)))
print(pcall(string.format, "%s", true))
print(pcall(string.format, "%s", nil))
print(pcall(string.format, "%s"))
print(pcall(string.format, "%s", setmetatable({}, {__tostring = function() return "obj" end})))
