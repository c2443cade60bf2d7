#!/usr/bin/env sh
# Builds and runs the C baseline of the frame parser benchmark. Optional argument: number of timed runs per size.
set -eu
cd "$(dirname "$0")"
out="${TMPDIR:-/tmp}/mcp-frames-parse-baseline"
gcc -O3 -march=native -std=c11 -Wall -Wextra -o "$out" parse.c
"$out" "$@"
