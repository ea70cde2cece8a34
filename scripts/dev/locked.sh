#!/usr/bin/env bash
# Runs a command under a repository-wide lock, so parallel developers on one work tree
# do not collide in git or pnpm. Usage: scripts/dev/locked.sh <command...>
set -euo pipefail
top=$(git rev-parse --show-toplevel)
exec flock "$top/.git/tanba-dev.lock" "$@"
