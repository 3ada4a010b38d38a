#!/bin/bash
# Runs inside a host-matrix guest, from hardrun-guest.service (tests/guest/build-image), once
# docker.service and containerd.service are up; the unit powers the guest off when this ends.
# In: /mnt/hardrun/in (tests/guest/run): root/ (hardrun's `meson install --destdir`, prefix
# /usr/local), src.tar (the tree and its build-release, unpacked at the host's absolute path),
# busybox.tar, env (HARDRUN_SRC, PYTEST_ARGS, GUEST_COMMAND). Out: /mnt/hardrun/out: booted (guest uptime when
# this started), versions, junit.xml, pytest.log, guest.log, journal.txt, rc (pytest's status, last).
set -uo pipefail
share=/mnt/hardrun
out=$share/out
exec >"$out/guest.log" 2>&1
cut -d' ' -f1 /proc/uptime >"$out/booted"
set -x
source "$share/in/env"

# hardrun as `meson install` puts it, and the tree the checks and the quick start run from.
cp -a "$share/in/root/." /
tar -C / -xf "$share/in/src.tar"
export HARDRUN_GUEST_BUSYBOX_TAR=$share/in/busybox.tar HARDRUN_SRC

{
    echo "kernel=$(uname -r)"
    echo "systemd=$(systemctl --version | head -1 | cut -d' ' -f2)"
    echo "cgroup=$(stat -fc %T /sys/fs/cgroup)"
    echo "apparmor=$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null || echo absent)"
    echo "docker=$(docker version --format '{{.Server.Version}}' 2>/dev/null)"
    echo "containerd=$(containerd --version | cut -d' ' -f3)"
    echo "runc=$(runc --version | head -1 | cut -d' ' -f3)"
    echo "podman=$(podman --version | cut -d' ' -f3)"
    echo "crun=$(crun --version 2>/dev/null | head -1 | cut -d' ' -f3)"
} >"$out/versions"

started=$(date +%s)
cd "$HARDRUN_SRC"
if [[ -n ${GUEST_COMMAND:-} ]]; then
    # tests/guest/run --command: a tool of the tree run in this guest instead of the checks (e.g.
    # tests/fixtures/recapture.py, bench/run); what it writes under $HARDRUN_GUEST_OUT comes back.
    mkdir -p "$out/command"
    HARDRUN_GUEST_OUT=$out/command bash -c "$GUEST_COMMAND" >"$out/command.log" 2>&1
    rc=$?
else
    /usr/bin/python3 -m pytest -p no:cacheprovider -v -rfE --junitxml="$out/junit.xml" tests/guest/checks \
        "${PYTEST_ARGS[@]}" >"$out/pytest.log" 2>&1
    rc=$?
fi
echo $(($(date +%s) - started)) >"$out/checks-seconds"
journalctl -b --no-pager >"$out/journal.txt" 2>&1
echo "$rc" >"$out/rc"
sync
exit 0
