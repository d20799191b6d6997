#!/usr/bin/env bash
# install-chromium.sh: installs Debian's chromium for the web's browser
# tests (web/*_browser_test.go) when no chromium is on the PATH. Needs root
# (or sudo) and Debian's package archive; does nothing when one is there.
set -euo pipefail
for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null; then
		echo "install-chromium: $(command -v "$b") is there" >&2
		exit 0
	fi
done
sudo=""
if [[ $(id -u) != 0 ]]; then
	command -v sudo >/dev/null || { echo "install-chromium: need root or sudo to apt-get install chromium" >&2; exit 1; }
	sudo="sudo"
fi
echo "install-chromium: apt-get install -y chromium" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null || { echo "install-chromium: chromium is still not on the PATH" >&2; exit 1; }
