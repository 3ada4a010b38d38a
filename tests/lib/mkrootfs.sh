#!/bin/bash
# mkrootfs.sh OUTDIR — build a minimal, deterministic busybox rootfs in OUTDIR.
#
# Contents: /bin/busybox (from busybox-static) with one relative symlink per applet
# (`busybox --list`) in /bin, /bin/sh, /etc/passwd (root, nobody), /etc/group,
# and the empty directories proc sys dev tmp run var/tmp root etc.
# Modes are set explicitly (independent of umask) and every mtime is fixed, so two
# runs give the same tree (mkimage.sh tars it reproducibly).
#
# Env: BUSYBOX=/path/to/static/busybox (default: /bin/busybox).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
out=$1
busybox=${BUSYBOX:-/bin/busybox}
# Fixed timestamp for every entry: 2000-01-01T00:00:00Z.
mtime=@946684800

if [ ! -x "$busybox" ]; then
    echo "$0: $busybox not found (apt-get install busybox-static)" >&2
    exit 1
fi
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
    # Fall back to ldd when file(1) is missing; a dynamic busybox would not run in the rootfs.
    if ldd "$busybox" >/dev/null 2>&1; then
        echo "$0: $busybox is not statically linked (install busybox-static)" >&2
        exit 1
    fi
fi

mkdir -p "$out"
if [ -n "$(ls -A "$out")" ]; then
    echo "$0: $out is not empty" >&2
    exit 1
fi

for d in bin etc proc sys dev tmp run var var/tmp root; do
    mkdir -p "$out/$d"
done
chmod 0755 "$out" "$out/bin" "$out/etc" "$out/proc" "$out/sys" "$out/dev" "$out/run" "$out/var"
chmod 1777 "$out/tmp" "$out/var/tmp"
chmod 0700 "$out/root"

cp "$busybox" "$out/bin/busybox"
chmod 0755 "$out/bin/busybox"

# Every applet as a relative symlink next to busybox (sh included).
"$busybox" --list | LC_ALL=C sort -u | while IFS= read -r applet; do
    case $applet in
        ''|*/*|busybox) continue ;;
    esac
    ln -sfn busybox "$out/bin/$applet"
done
# /bin/sh must exist even if this busybox build lists no "sh" applet.
[ -L "$out/bin/sh" ] || ln -sfn busybox "$out/bin/sh"

cat > "$out/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$out/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
chmod 0644 "$out/etc/passwd" "$out/etc/group"

# Fixed mtimes (symlinks themselves with -h), deepest first so directories keep theirs.
find "$out" -depth -exec touch -h -d "$mtime" {} +
