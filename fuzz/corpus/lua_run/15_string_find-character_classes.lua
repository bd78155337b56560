-- string.find and string.match: plain, patterns, captures, anchors, %b, %f.
--## character classes
local s = "The year 2023, Ok? _x_ \t\n end"
for _, p in ipairs({"%a+", "%d+", "%s+", "%p", "%w+", "%u", "%l+", "%x+", "%c", "[%a_]+", "[^%a%s]+", "%S+"}) do
  print(p, string.match(s, p))
end
