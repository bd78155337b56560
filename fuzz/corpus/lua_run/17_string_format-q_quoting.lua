-- string.format with every option.
--## %q quoting
print(string.format("%q", "hello \"world\"\n\\ \0 \r end"))
print(string.format("%q", 1/3), string.format("%q", "tab\there"))
