-- string.find and string.match: plain, patterns, captures, anchors, %b, %f.
--## plain find
print(string.find("hello world", "o"), string.find("hello world", "o", 6), string.find("hello", "xyz"))
print(string.find("a.b.c", ".", 1, true), string.find("a.b.c", "%."), string.find("abc", "", 10))
print(string.find("abc", "", 4), string.find("abc", "", 3), string.find("", ""))
print(string.find("hello", "l", -2), string.find("hello", "h", -100), string.find("hello", "lo", 100))
--## character classes
local s = "The year 2023, Ok? _x_ \t\n end"
for _, p in ipairs({"%a+", "%d+", "%s+", "%p", "%w+", "%u", "%l+", "%x+", "%c", "[%a_]+", "[^%a%s]+", "%S+"}) do
  print(p, string.match(s, p))
end
--## quantifiers
print(string.match("aaab", "a*"), string.match("aaab", "a+"), string.match("aaab", "a-b"), string.match("b", "a?b"))
print(string.match("<<x>>", "<(.-)>"), string.match("<<x>>", "<(.*)>"), string.match("abc", "a.-$"))
print(string.find("xxaaay", "a-y"), string.find("aaa", "a-"), string.match("  trim  ", "^%s*(.-)%s*$") .. "|")
--## captures
print(string.match("key=value", "(%w+)=(%w+)"))
print(string.match("2024-01-15", "(%d+)-(%d+)-(%d+)"))
print(string.match("hello", "()ll()"))
print(string.match("abc", "((a)(b))"))
print(string.find("abcabc", "(b)(c)", 3))
print(string.match("hello hello", "(h%w+) %1"), string.match("ab ba", "(a)(b) %2%1"))
--## anchors
print(string.find("abc", "^b"), string.find("abc", "^a"), string.find("abc", "c$"), string.find("a$c", "$c"))
print(string.match("^start", "^^s"), string.find("abc", "^abc$"), string.match("x^y", "x^y"))
--## balanced %b
print(string.match("f(a(b)c)d", "%b()"), string.match("[[x]]y", "%b[]"), string.match("no parens", "%b()"))
print(string.find("if (a and (b or c)) then", "%b()"))
--## frontier %f
print(string.find("THE (quick) fox", "%f[%a]%a+"), string.match("hello_world foo", "%f[%w]%w+$"))
local words = {}
for w in string.gmatch("THE (quick) fox", "%f[%a]%a+%f[%A]") do words[#words + 1] = w end
print(table.concat(words, "|"))
--## sets and ranges
print(string.match("abc123", "[a-c]+"), string.match("abc123", "[1-2]+"), string.match("a-b", "[%-]"))
print(string.match("x]y", "[]]"), string.match("a^b", "[b^]+"), string.match("hello", "[^aeiou]+"))
--## malformed patterns error
print(pcall(string.find, "a", "[a"))
print(pcall(string.find, "a", "%"))
print(pcall(string.match, "a", "(a"))
print(pcall(string.match, "a", "a)"))
print(pcall(string.match, "a", "%1"))
print(pcall(string.find, "a", "%b"))
print(pcall(string.find, "a", "%f"))
--## special chars in plain search and init
print(string.find("a+b", "+", 1, true), string.find("a+b", "a+b"), string.find("a+b", "a%+b"))
print(string.find("abc", "b", 0), string.find("abc", "b", -1), string.match("abc", ".", -1))
--## embedded zeros
local z = "a\0b\0c"
print(#z, string.find(z, "\0"), string.find(z, "%z"), string.match(z, "b%z(.)"))
