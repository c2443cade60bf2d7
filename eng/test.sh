#!/usr/bin/env bash
# Installs what the tests need (socat for pseudo-terminal pairs) and runs every test.
# With --bench-smoke (the default when CI=true) it also runs every benchmark once (eng/bench.sh --smoke),
# counted as one more test, so that no benchmark breaks unnoticed; with --fuzz-smoke (also the default when CI=true)
# it fuzzes each fuzz target for 20 s under AFL++ (eng/fuzz.sh, which installs afl++ and SharpFuzz's tool), counted
# as one more test that fails on any crash or hang.
# Prints "N passed, N failed[, N skipped]" as its last line; exits non-zero if any test failed.
set -uo pipefail
cd "$(dirname "$0")/.."
smoke=0; fuzz=0
[ "${CI:-}" = "true" ] && { smoke=1; fuzz=1; }
for a in "$@"; do
  case "$a" in
    --bench-smoke) smoke=1 ;;
    --no-bench-smoke) smoke=0 ;;
    --fuzz-smoke) fuzz=1 ;;
    --no-fuzz-smoke) fuzz=0 ;;
    *) echo "eng/test.sh: unknown option '$a' (known: --bench-smoke, --no-bench-smoke, --fuzz-smoke, --no-fuzz-smoke)" >&2; exit 2 ;;
  esac
done

need=()
command -v socat >/dev/null 2>&1 || need+=(socat)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null \
    || { echo "could not install ${need[*]} with apt-get" >&2; exit 1; }
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
dotnet build Mcp.Frames.sln -c Release -nologo -v q || { echo "0 passed, 1 failed"; exit 1; }
dotnet test Mcp.Frames.sln -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" -- NUnit.NumberOfTestWorkers=2
status=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  get() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  total=$(get total); p=$(get passed); f=$(get failed); e=$(get error); t=$(get timeout); ab=$(get aborted)
  passed=$((passed + p)); failed=$((failed + f + e + t + ab))
  skipped=$((skipped + total - p - f - e - t - ab))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$smoke" = 1 ]; then
  echo "benchmark smoke run (eng/bench.sh --smoke)..."
  if ./eng/bench.sh --smoke > "$results/bench-smoke.log" 2>&1; then
    passed=$((passed + 1)); echo "benchmark smoke run: passed"
  else
    failed=$((failed + 1)); status=1
    tail -n 60 "$results/bench-smoke.log"; echo "benchmark smoke run: FAILED"
  fi
fi
if [ "$fuzz" = 1 ]; then
  echo "fuzz smoke run (eng/fuzz.sh --seconds 20)..."
  if ./eng/fuzz.sh --seconds 20 > "$results/fuzz-smoke.log" 2>&1; then
    passed=$((passed + 1)); grep -E "^(frames|bodies|desired|device): " "$results/fuzz-smoke.log"; echo "fuzz smoke run: passed"
  else
    failed=$((failed + 1)); status=1
    tail -n 60 "$results/fuzz-smoke.log"; echo "fuzz smoke run: FAILED"
  fi
fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then echo "no tests ran" >&2; failed=1; status=1; fi
if [ "$failed" -gt 0 ] && ls "$results"/*.trx >/dev/null 2>&1; then
  echo "failed tests:"
  for trx in "$results"/*.trx; do [ -f "$trx" ] && awk -f eng/failed-tests.awk "$trx"; done
fi
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
exit "$status"
