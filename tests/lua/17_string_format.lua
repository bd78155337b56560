-- string.format with every option.
--## integers
print(string.format("%d %i %5d %-5d| %05d %+d % d", 42, -7, 42, 42, 42, 42, 42))
print(string.format("%d %d %d", 3.7, -3.7, 2^31), string.format("%x %X %o", 255, 255, 8))
print(string.format("%#x %#o %.3d %3.2d", 255, 8, 5, 5))
print(string.format("%d", -0), string.format("%u", 42), string.format("%c%c%c", 76, 117, 97))
--## floats
print(string.format("%f %.2f %10.3f %-10.1f| %e %.3E", 3.14159, 3.14159, 3.14159, 3.14159, 314.159, 314.159))
print(string.format("%g %g %g %g %G", 100000, 1000000, 1e-5, 0.0001, 1e-10))
print(string.format("%.3g %#g %+.1f %08.3f", 3.14159, 1.5, 2.25, -3.14159))
print(string.format("%.0f %.0f %.0f %.1f", 0.5, 1.5, 2.5, 0.05))
print(string.format("%f %f %f", 1/0, -1/0, 1e300))
--## strings
print(string.format("%s|%10s|%-10s|%.2s", "abc", "abc", "abc", "abc"))
print(string.format("%s %s %s %s", 1, 1.5, true == true and "t" or "f", tostring(nil == nil)))
print(pcall(string.format, "%s", true))
print(pcall(string.format, "%s", nil))
print(pcall(string.format, "%s"))
print(pcall(string.format, "%s", setmetatable({}, {__tostring = function() return "obj" end})))
--## %q quoting
print(string.format("%q", "hello \"world\"\n\\ \0 \r end"))
print(string.format("%q", 1/3), string.format("%q", "tab\there"))
--## percent and literal text
print(string.format("100%% sure"), string.format("no args"), string.format("%5.1s|", "xyz"))
--## errors
print(pcall(string.format, "%d", "x"))
print(pcall(string.format, "%y", 1))
print(pcall(string.format, "%", 1))
print(pcall(string.format, "%123d", 1))
print(pcall(string.format, "%d"))
print(pcall(string.format))
--## many arguments and reuse
local parts = {}
for i = 1, 20 do parts[i] = "%d" end
print(string.format(table.concat(parts, ","), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20))
print(string.format("%s-%s", "a", "b", "ignored"))
--## large values
print(string.format("%d", 2^53), string.format("%.14g", 2^63), string.format("%x", 2^32 + 1))
print(string.format("%5.2f%%", 99.555), string.format("[%-8s][%8s]", "left", "right"))
