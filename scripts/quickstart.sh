#!/bin/bash
# Quick start on a fresh Debian 12 machine, as root: installs the dependencies, builds and
# installs hardrun (/usr/local), then runs the same container twice, under runc alone and
# through hardrun, first with runc directly and then through a private Docker daemon (your own
# Docker, if any, is not touched).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --run
if [[ ! -d build-release ]]; then
    meson setup build-release --buildtype=release -Dtests=false >/dev/null
fi
meson compile -C build-release >/dev/null
meson install -C build-release --quiet
# The user "hardrun" and its subordinate ids: containers' root is remapped into them.
contrib/install.sh --user-only
hardrun=/usr/local/sbin/hardrun
echo "== installed: $hardrun"
"$hardrun" --version

# On the root filesystem: a tmpfs such as /run cannot be idmapped before Linux 6.3.
demo=$(mktemp -d /var/tmp/hardrun-demo-XXXXXX)
cleanup() {
    runc --root "$demo/state" delete --force demo-runc >/dev/null 2>&1 || true
    runc --root "$demo/state" delete --force demo-hardrun >/dev/null 2>&1 || true
    rm -rf "$demo"
}
trap cleanup EXIT

tests/lib/mkrootfs.sh "$demo/rootfs" >/dev/null
for name in runc hardrun; do
    mkdir "$demo/$name"
    (cd "$demo/$name" && runc spec)
    # Docker's 14 default capabilities, as `docker run` asks for them.
    /usr/bin/python3 - "$demo/$name/config.json" "$demo/rootfs" <<'PY'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
c = json.load(open(path))
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE"]
c["process"].update(terminal=False, noNewPrivileges=False, args=["sh", "-c", "grep -E '^Cap|NoNewPrivs' /proc/self/status; echo uid_map: $(cat /proc/self/uid_map)"],
                    capabilities={s: caps for s in ("bounding", "effective", "permitted")})
c["root"] = {"path": rootfs, "readonly": True}
json.dump(c, open(path, "w"), indent=2)
PY
done
echo
echo "== runc alone (Docker's default capability set, no_new_privs off):"
runc --root "$demo/state" run --bundle "$demo/runc" demo-runc
echo
echo "== the same container through hardrun:"
"$hardrun" --root "$demo/state" run --bundle "$demo/hardrun" demo-hardrun
echo
echo "== through Docker (a private dockerd with hardrun registered as a runtime):"
/usr/bin/python3 scripts/demo-docker.py "$hardrun"
