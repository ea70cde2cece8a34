#!/usr/bin/env bash
# Commits only the given paths (staged or not), under the repository lock.
# Usage: scripts/dev/commit.sh "message" path...
set -euo pipefail
msg=$1; shift
top=$(git rev-parse --show-toplevel)
cd "$top"
flock "$top/.git/tanba-dev.lock" bash -c 'git add -A -- "$@" && git commit -q -m "$0" --only -- "$@"' "$msg" "$@"
git log --oneline -1
