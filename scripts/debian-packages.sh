#!/usr/bin/env bash
# Debian packages the project needs beyond Python: catdoc reads legacy Word (.doc) and Kingsoft
# WPS (.wps) report attachments (govcrawl.documents.legacy); chromium renders the report lists
# that only exist once their script has run (govcrawl.browser: Playwright drives Debian's
# /usr/bin/chromium, its own browser download is never used). Installs only what is missing,
# and only as root; otherwise it warns in one line and leaves the machine alone (.doc/.wps
# attachments are then flagged `unreadable_format: … catdoc is not installed`; a crawl that
# needs the browser records `browser_unavailable` once and goes on without it).
set -u

PACKAGES=(catdoc chromium)
missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: Debian packages missing (${missing[*]}); run scripts/debian-packages.sh as root to read .doc/.wps attachments and render script-built lists" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent on a fresh machine: update once if the install fails.
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -q >/dev/null 2>&1
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
} || { echo "warning: apt-get could not install ${missing[*]}" >&2; exit 0; }
