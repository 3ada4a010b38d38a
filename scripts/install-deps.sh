#!/bin/bash
# Installs, from Debian 12's archive, everything hardrun needs to build, run and be tested.
# Idempotent: runs apt-get only when a package is missing.
#   scripts/install-deps.sh          build + runtime + test dependencies
#   scripts/install-deps.sh --run    build + runtime only (what the quick start needs)
#   scripts/install-deps.sh --bench  everything, plus what bench/run draws its chart with
set -euo pipefail

build=(g++ clang libclang-rt-14-dev meson ninja-build pkg-config git libseccomp-dev libcap-ng-dev libyajl-dev libmount-dev libcriterion-dev)
runtime=(runc)
# Real callers and tools for the integration and end-to-end tests.
test=(busybox-static python3 python3-pytest python3-yaml time docker.io iptables iproute2 containerd podman util-linux debootstrap gcc libc6-dev
      containernetworking-plugins python3-grpcio python3-grpc-tools python3-protobuf strace
      logrotate  # contrib/logrotate
      debhelper dpkg-dev lintian  # scripts/package.sh: the .deb
      qemu-system-x86 qemu-utils e2fsprogs)  # the host matrix: tests/guest/build-image and run

packages=("${build[@]}" "${runtime[@]}")
if [[ "${1:-}" != "--run" ]]; then
    packages+=("${test[@]}")
fi
if [[ "${1:-}" == "--bench" ]]; then
    packages+=(python3-matplotlib)
fi
# The demo runs a private dockerd as well.
packages+=(busybox-static python3 docker.io containerd)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if ((${#missing[@]} == 0)); then
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages (${missing[*]}); run as root" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
