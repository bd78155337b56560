-- string.format with every option.
--## percent and literal text
print(string.format("100%% sure"), string.format("no args"), string.format("%5.1s|", "xyz"))
