-- string.find and string.match: plain, patterns, captures, anchors, %b, %f.
--## frontier %f
print(string.find("THE (quick) fox", "%f[%a]%a+"), string.match("hello_world foo", "%f[%w]%w+$"))
local words = {}
for w in string.gmatch("THE (quick) fox", "%f[%a]%a+%f[%A]") do words[#words + 1] = w end
print(table.concat(words, "|"))
