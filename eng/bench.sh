#!/usr/bin/env bash
# Runs the BenchmarkDotNet suite.
#   ./eng/bench.sh                      every benchmark, full measurement (takes a while)
#   ./eng/bench.sh --filter '*PubSub*'  a part (any BenchmarkDotNet argument is passed through)
#   ./eng/bench.sh --smoke              every benchmark once, in-process, to prove none is broken (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
smoke=0
for a in "$@"; do
  if [ "$a" = "--smoke" ]; then smoke=1; else args+=("$a"); fi
done
if [ "$smoke" = 1 ]; then
  args=(--filter '*' --job Dry --inProcess --stopOnFirstError "${args[@]}")
elif [ ${#args[@]} -eq 0 ]; then
  args=(--filter '*')
fi
dotnet build bench/Mcp.Frames.Benchmarks -c Release -nologo -v q
out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
dotnet run -c Release --no-build --project bench/Mcp.Frames.Benchmarks -- "${args[@]}" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
# BenchmarkDotNet exits 0 even when a benchmark threw; its summary lists those under "Benchmarks with issues".
if grep -q "Benchmarks with issues" "$out" || grep -q "// \* Build Errors" "$out"; then
  echo "bench: some benchmarks failed (see 'Benchmarks with issues' above)" >&2
  exit 1
fi
exit "$status"
