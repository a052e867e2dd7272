#!/usr/bin/env bash
# Installs what the tests and the cluster need from Debian: Chromium and a CJK font for the browser tests
# (without one, Chinese renders as boxes in screenshots) and HAProxy for `make cluster`. Idempotent.
# With arguments, only those: `install_system_deps.sh haproxy` (what `make cluster` needs).
set -euo pipefail
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(chromium fonts-noto-cjk haproxy)
missing=()
for package in "${wanted[@]}"; do
  case "$package" in
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    fonts-noto-cjk) fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk) ;;  # not grep -q: with pipefail, its early exit fails fc-list
    haproxy) [ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null || missing+=(haproxy) ;;
    *) echo "unknown system dependency: $package" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing ${missing[*]} with apt-get"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
