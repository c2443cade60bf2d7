#!/usr/bin/env bash
# Records new public API of the shipped libraries in their PublicAPI.Unshipped.txt
# (the lines RS0016 asks for) and drops lines RS0017 says no longer exist.
# Run after changing a public signature, then review the diff of PublicAPI.*.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
for proj in src/*/*.csproj; do
  dir=$(dirname "$proj")
  file="$dir/PublicAPI.Unshipped.txt"
  [ -f "$file" ] || echo '#nullable enable' > "$file"
  grep -q '^#nullable enable' "$file" || sed -i '1i #nullable enable' "$file"
  for _ in 1 2 3; do
    out=$(dotnet build "$proj" -nologo -v q --artifacts-path "${TMPDIR:-/tmp}/mcp-publicapi-$(id -u)-$$" 2>&1 || true)
    # Keep only this project's diagnostics: the build output also holds those of the projects it references.
    mine=$(printf '%s\n' "$out" | grep -F "[$(realpath "$proj")]" || true)
    added=$(printf '%s\n' "$mine" | grep -oP "error RS0016: Symbol '\K.*(?=' is not part of the declared public API)" | sort -u || true)
    removed=$(printf '%s\n' "$mine" | grep -oP "error RS0017: Symbol '\K.*(?=' is part of the declared API, but)" | sort -u || true)
    [ -z "$added$removed" ] && break
    if [ -n "$removed" ]; then
      while IFS= read -r line; do
        grep -vxF -- "$line" "$file" > "$file.tmp" || true
        mv "$file.tmp" "$file"
      done <<< "$removed"
    fi
    [ -n "$added" ] && printf '%s\n' "$added" >> "$file"
    { head -n1 "$file"; tail -n +2 "$file" | sort -u; } > "$file.tmp" && mv "$file.tmp" "$file"
  done
done
