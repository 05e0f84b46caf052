#!/usr/bin/env bash
# Checks the systemd units in this folder: `bash contrib/systemd/verify.sh BINARY`.
#
# `systemd-analyze verify` fails a unit whose ExecStart= binary does not exist, and the units
# name /usr/local/bin/pressfeed, which CI does not install. So the units are copied to a
# temporary folder with that path replaced by BINARY (a built pressfeed, e.g.
# target/release/pressfeed) and verified there. verify exits 0 on many problems (an unknown
# key, a bad value: "ignoring"), so any line it prints about our units fails the check too.
# Then each service's hardening is held at an exposure of at most 2.0
# (`systemd-analyze security --offline=yes`), and the sysusers file is dry-run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ "$#" -ne 1 ]; then
  echo "usage: $0 PATH/TO/pressfeed" >&2
  exit 2
fi
bin="$(realpath -- "$1")"
if [ ! -x "$bin" ] || [ -d "$bin" ]; then
  echo "$1: not an executable file" >&2
  exit 2
fi
case "$bin" in
  *[[:space:]\|\&\\%]*)
    echo "$bin: a path without spaces, |, &, \\ or % please (it goes into ExecStart= through sed)" >&2
    exit 2
    ;;
esac
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze is not installed" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
units=()
for unit in "$here"/*.service "$here"/*.timer; do
  name="$(basename "$unit")"
  sed "s|/usr/local/bin/pressfeed|$bin|g" "$unit" >"$tmp/$name"
  units+=("$tmp/$name")
done
grep -q "^ExecStart=$bin " "$tmp/pressfeed.service" || { echo "pressfeed.service: ExecStart= does not name /usr/local/bin/pressfeed" >&2; exit 1; }

status=0
out="$(cd "$tmp" && systemd-analyze verify "${units[@]}" 2>&1)" || status=$?
printf '%s\n' "$out" | sed '/^$/d'
if [ "$status" -ne 0 ]; then
  echo "systemd-analyze verify failed (exit $status)" >&2
  exit 1
fi
# Lines about other units (a distribution's own, pulled in as dependencies) are shown, not held
# against ours.
if grep -E "pressfeed|$tmp" <<<"$out" >/dev/null; then
  echo "systemd-analyze verify printed warnings about our units (above)" >&2
  exit 1
fi
echo "systemd-analyze verify: ${units[*]##*/}: ok"

for unit in "$tmp"/*.service; do
  if ! verdict="$(systemd-analyze security --offline=yes --threshold=20 "$unit" 2>&1)"; then
    printf '%s\n' "$verdict" >&2
    echo "$(basename "$unit"): exposure above 2.0 (systemd-analyze security, above)" >&2
    exit 1
  fi
  grep -F 'Overall exposure level' <<<"$verdict"
done

if command -v systemd-sysusers >/dev/null 2>&1; then
  # --root: a dry run against an empty tree, whatever users this machine has.
  mkdir -p "$tmp/root/etc"
  if ! said="$(systemd-sysusers --root="$tmp/root" --dry-run "$here/pressfeed.sysusers" 2>&1)"; then
    printf '%s\n' "$said" >&2
    echo "systemd-sysusers rejects pressfeed.sysusers (above)" >&2
    exit 1
  fi
  echo "systemd-sysusers --dry-run pressfeed.sysusers: ok"
fi
