#!/bin/bash
# mkimage.sh OUT.tar — build the mkrootfs.sh rootfs in a temp dir and tar it reproducibly
# (GNU format, entries sorted by name, numeric owner 0:0, fixed mtime), ready for
# `docker import OUT.tar NAME` or `podman import`.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUT.tar" >&2
    exit 2
fi
out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hardrun-mkimage-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$here/mkrootfs.sh" "$tmp/rootfs"

# Write to a temp file first so a failed run never leaves a truncated OUT.tar behind.
tar --create --file "$tmp/image.tar" --directory "$tmp/rootfs" \
    --format=gnu --sort=name --numeric-owner --owner=0 --group=0 \
    --mtime=@946684800 --no-acls --no-selinux --no-xattrs \
    .
mv -f "$tmp/image.tar" "$out"
