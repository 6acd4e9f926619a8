#!/usr/bin/env bash
# Installs the system packages Sluice builds and runs with (Debian / Ubuntu), when missing:
# libpq-dev and libzip-dev for the C libraries, postgresql for the private database cluster
# (sluice runs its server programs; the system service is not needed), pkg-config, and
# `zip` (tests build archives with it).
set -euo pipefail

packages=(libpq-dev libzip-dev postgresql pkg-config zip)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 2; }
    sudo="sudo"
fi
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
