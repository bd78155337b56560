#!/bin/sh
# Seeds the lua_run corpus from the language corpus: one file per `--## name` section of each tests/lua/*.lua,
# holding the file's prologue (the lines before its first section) and that section, named <file>-<section>.lua.
# `make fuzz` runs it before the Lua targets, so the seeds follow the tests instead of being committed copies.
# Usage: fuzz/seed-lua.sh TESTS_LUA_DIR CORPUS_DIR
set -eu
src=$1
out=$2
mkdir -p "$out"
for f in "$src"/*.lua; do
	awk -v out="$out" -v stem="$(basename "$f" .lua)" '
		/^--## / {
			if (file != "") close(file)
			name = tolower(substr($0, 6)); gsub(/[^a-z0-9]+/, "_", name); gsub(/^_|_$/, "", name)
			file = out "/" stem "-" name ".lua"
			printf "%s", pre > file
			print > file
			next
		}
		file == "" { pre = pre $0 "\n"; next }
		{ print > file }' "$f"
done
