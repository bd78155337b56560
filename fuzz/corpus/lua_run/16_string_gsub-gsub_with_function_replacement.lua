-- string.gsub and string.gmatch.
--## gsub with function replacement
print(string.gsub("1 2 3", "%d", function(d) return d * 2 end))
print(string.gsub("abc", "%w", function(c) if c == "b" then return nil end return c:upper() end))
print(string.gsub("x=1, y=2", "(%w+)=(%w+)", function(k, v) return v .. "=" .. k end))
print(string.gsub("abc", "()", function(p) return p end))
print(pcall(string.gsub, "abc", "a", function() return {} end))
