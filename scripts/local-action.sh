#!/usr/bin/env sh
# Runs the action from src/ with @github/local-action, which stubs
# @actions/core and @actions/cache (the cache becomes a local folder).
# Inputs come from ENV_FILE (default .env.example); the folders below must
# be absolute for the cache stand-in, so they are set here.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
mkdir -p "$root/.local-workspace/tmp" "$root/.local-cache"
export LOCAL_ACTION_WORKSPACE="${LOCAL_ACTION_WORKSPACE:-$root/.local-workspace}"
export LOCAL_ACTION_CACHE_PATH="${LOCAL_ACTION_CACHE_PATH:-$root/.local-cache}"
export RUNNER_TEMP="${RUNNER_TEMP:-$root/.local-workspace/tmp}"
export GITHUB_WORKSPACE="${GITHUB_WORKSPACE:-$root}"
exec npx local-action . src/main.ts "${ENV_FILE:-.env.example}"
