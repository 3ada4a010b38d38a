#!/bin/bash
# Builds a Debian 12 root filesystem holding real services (nginx, redis, postgresql, python3)
# from Debian's archive with debootstrap, and writes it as a tarball for `docker import`.
#   tests/lib/mkservices.sh OUT.tar
# The tarball is cached next to OUT.tar's name by the package list's hash: a second call on the
# same machine reuses it.
set -euo pipefail
out=$1
packages="nginx-light,redis-server,redis-tools,postgresql,python3,curl,ca-certificates"
mirror=${HARDRUN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache="/var/cache/hardrun-tests/services-$(echo "$packages" | sha256sum | cut -c1-16).tar"
if [[ -s $cache ]]; then
    cp "$cache" "$out"
    exit 0
fi
root=$(mktemp -d /var/tmp/hardrun-services-XXXXXX)
trap 'umount -R "$root"/proc "$root"/sys "$root"/dev 2>/dev/null || true; rm -rf "$root"' EXIT
debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
    { tail -30 "$root.log"; rm -f "$root.log"; exit 1; }
rm -f "$root.log"
# Services are started by the tests, not by the image; drop apt caches to keep it small.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
mkdir -p "$(dirname "$cache")"
tar --numeric-owner -C "$root" -cf "$cache.tmp" .
mv "$cache.tmp" "$cache"
cp "$cache" "$out"
