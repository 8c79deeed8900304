#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (test/helpers/browser.ts drives it through
# playwright-core). Idempotent: does nothing when /usr/bin/chromium is already there. Runs apt-get
# update only when the first install attempt fails (a stale or missing package list).
set -euo pipefail

CHROMIUM=/usr/bin/chromium

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

if [ -x "$CHROMIUM" ]; then
  say "chromium already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

command -v apt-get >/dev/null || die "$CHROMIUM is missing and apt-get is not available: install Chromium by hand"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "installing chromium needs root (or sudo)"
  SUDO=sudo
fi

install() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

say "chromium is missing: installing Debian's chromium package"
if ! install; then
  say "install failed: running apt-get update and trying again"
  $SUDO apt-get update
  install
fi

[ -x "$CHROMIUM" ] || die "chromium was installed but $CHROMIUM is not there"
say "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
