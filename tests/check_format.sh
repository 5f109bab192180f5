#!/usr/bin/env bash
# Fails when any C++ source or proto file under core/, config/, daemon/, proto/ or tests/
# differs from what clang-format makes of it (the repo's .clang-format). Fix with:
#   clang-format -i $(git ls-files '*.h' '*.cc' '*.proto')
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'core/*.h' 'core/*.cc' 'config/*.h' 'config/*.cc' \
  'daemon/*.h' 'daemon/*.cc' 'tests/*.h' 'tests/*.cc' 2>/dev/null ||
  find core config daemon tests -name '*.h' -o -name '*.cc')
# One clang-format run over every file; it names each file that would change.
out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1) || true
bad=$(printf '%s\n' "$out" | grep -oE '^[^:]+\.(h|cc):[0-9]+:[0-9]+: error' | cut -d: -f1 | sort -u || true)
if [ -n "$bad" ]; then
  printf 'not formatted: %s\n' $bad
  exit 1
fi
echo "format: ${#files[@]} files clean"
