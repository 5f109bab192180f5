#!/usr/bin/env bash
# Fails when any C++ source or proto file under core/, config/, daemon/, proto/ or tests/
# differs from what clang-format makes of it (the repo's .clang-format). Fix with:
#   clang-format -i $(git ls-files '*.h' '*.cc' '*.proto')
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'core/*.h' 'core/*.cc' 'config/*.h' 'config/*.cc' \
  'daemon/*.h' 'daemon/*.cc' 'tests/*.h' 'tests/*.cc' 2>/dev/null ||
  find core config daemon tests -name '*.h' -o -name '*.cc')
bad=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f"
    bad=1
  fi
done
[ "$bad" -eq 0 ] && echo "format: ${#files[@]} files clean"
exit "$bad"
