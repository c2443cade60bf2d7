#!/usr/bin/env bash
# Coverage-guided fuzzing of the frame parser, the MCP/1 body readers, the desired-configuration reader and
# firmware-sim's device definition with AFL++ and SharpFuzz.
#
#   eng/fuzz.sh [--seconds N] [--out DIR] [TARGET...]     targets: frames, bodies, desired, device (default: all); N default 60
#
# Installs what it needs (afl++ with apt-get, the SharpFuzz instrumentation tool as a dotnet tool), builds
# tests/Mcp.Frames.Fuzz, instruments its copies of Mcp.Frames.dll and Mcp.Frames.FirmwareSim.dll, writes each target's seeds (made with the library's
# own writers), and runs afl-fuzz on each target for N seconds. Prints the executions, paths found and crashes of each
# run; a crash is replayed in-process to print the input and the failure, and copied into
# tests/Mcp.Frames.Fuzz/regressions/TARGET/ so that the unit tests replay it from then on. Exits 1 if any target
# crashed or hung, 2 on a wrong flag.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=60
out=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "eng/fuzz.sh: --seconds needs a whole number of seconds, at least 1 (got '${2:-}')" >&2; exit 2; }; seconds=$2; shift 2 ;;
    --out) [ -n "${2:-}" ] || { echo "eng/fuzz.sh: --out needs a directory" >&2; exit 2; }; out=$2; shift 2 ;;
    frames|bodies|desired|device) targets+=("$1"); shift ;;
    *) echo "eng/fuzz.sh: unknown argument '$1' (known: --seconds N, --out DIR, frames, bodies, desired, device)" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -eq 0 ] && targets=(frames bodies desired device)

if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "installing: afl++"
  $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq afl++ >/dev/null \
    || { echo "eng/fuzz.sh: could not install afl++ with apt-get" >&2; exit 1; }
fi

tools="${DOTNET_TOOLS:-$HOME/.dotnet/tools}"
if [ ! -x "$tools/sharpfuzz" ]; then
  echo "installing: SharpFuzz.CommandLine 2.3.0 (dotnet tool)"
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null \
    || { echo "eng/fuzz.sh: could not install the sharpfuzz tool" >&2; exit 1; }
fi

work=${out:-$(mktemp -d)}
mkdir -p "$work"
bin="$work/bin"
dotnet build tests/Mcp.Frames.Fuzz -c Release -nologo -v q -o "$bin" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log"; echo "eng/fuzz.sh: the fuzz program did not build" >&2; exit 1; }
# The tool instruments the library in place (every branch reports to AFL's coverage map, which exists only under
# afl-fuzz: the instrumented copy cannot run on its own, so seeds and replays use the plain build). The .NET host is
# not instrumented itself, hence AFL_SKIP_BIN_CHECK below. The tool runs on the current runtime whatever it was built for.
afl="$work/bin-afl"
rm -rf "$afl" && cp -r "$bin" "$afl"
for dll in Mcp.Frames.dll Mcp.Frames.FirmwareSim.dll; do
  DOTNET_ROLL_FORWARD=Major "$tools/sharpfuzz" "$afl/$dll" >"$work/instrument.log" 2>&1 \
    || { cat "$work/instrument.log"; echo "eng/fuzz.sh: instrumenting $dll failed" >&2; exit 1; }
done

status=0
for target in "${targets[@]}"; do
  seeds="$work/seeds-$target"; findings="$work/findings-$target"
  rm -rf "$seeds" "$findings"
  "$bin/Mcp.Frames.Fuzz" seeds "$target" "$seeds" >/dev/null || { echo "eng/fuzz.sh: $target: no seeds" >&2; exit 1; }
  AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
    timeout $((seconds + 120)) afl-fuzz -V "$seconds" -i "$seeds" -o "$findings" -t 5000 -m none -- "$afl/Mcp.Frames.Fuzz" "$target" \
    >"$work/afl-$target.log" 2>&1
  rc=$?
  stats="$findings/default/fuzzer_stats"
  if [ "$rc" -ne 0 ] || [ ! -f "$stats" ]; then
    tail -n 30 "$work/afl-$target.log"; echo "eng/fuzz.sh: $target: afl-fuzz did not run (exit $rc)" >&2; status=1; continue
  fi
  get() { grep -E "^$1 +:" "$stats" | sed 's/.*: *//'; }
  echo "$target: $(get execs_done) executions in $(get run_time) s ($(get execs_per_sec)/s), $(get corpus_count) inputs in the corpus, edges $(get edges_found), stability $(get stability), crashes $(get saved_crashes), hangs $(get saved_hangs)"
  if [ "$(get saved_crashes)" != 0 ] || [ "$(get saved_hangs)" != 0 ]; then
    status=1
    mkdir -p "tests/Mcp.Frames.Fuzz/regressions/$target"
    for f in "$findings"/default/crashes/id:* "$findings"/default/hangs/id:*; do
      [ -f "$f" ] || continue
      name="tests/Mcp.Frames.Fuzz/regressions/$target/$(sha1sum "$f" | cut -c1-16)"
      cp "$f" "$name"
      "$bin/Mcp.Frames.Fuzz" "$target" "$name" 2>&1 | head -n 5
    done
  fi
done
[ -z "$out" ] && rm -rf "$work"
exit $status
