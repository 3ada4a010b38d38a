#!/bin/bash
# Builds hardrun_<version>_<arch>.deb from the committed tree with Debian's own tools
# (dpkg-buildpackage -us -uc -b, debian/), then runs lintian on it: any error or warning fails.
#   scripts/package.sh OUTDIR          the .deb, .changes and lintian's report end up in OUTDIR
#   scripts/package.sh --cache DIR     the same in DIR/<digest of the tracked files>, built only
#                                      when that directory has no .deb yet (the host matrix's guests
#                                      share one build)
# The last line printed is the .deb's path.
# Needs (scripts/install-deps.sh installs them): debhelper, dpkg-dev, lintian and the build deps.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [[ ${1:-} == --cache ]]; then
    key=$(cd "$repo" && git ls-files -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
    out=${2:?usage: scripts/package.sh --cache DIR}/$key
    if compgen -G "$out/hardrun_*.deb" >/dev/null; then
        ls "$out"/hardrun_*.deb
        exit 0
    fi
else
    out=${1:?usage: scripts/package.sh OUTDIR | --cache DIR}
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /var/tmp/hardrun-package.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The committed files only (a clean clone's tree): what a release tarball would hold.
version=$(sed -n '1s/^hardrun (\([^)]*\)).*/\1/p' "$repo/debian/changelog")
src=$work/hardrun-$version
mkdir -p "$src"
git -C "$repo" ls-files -z | (cd "$repo" && xargs -0 cp --parents -t "$src")
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
    tail -40 "$out/build.log" >&2
    echo "package: dpkg-buildpackage failed (log: $out/build.log)" >&2
    exit 1
}
cp "$work"/hardrun_"$version"_*.deb "$work"/hardrun_"$version"_*.changes "$work"/hardrun_"$version"_*.buildinfo "$out/"
for f in "$work"/hardrun-dbgsym_"$version"_*.*deb; do
    [[ -e $f ]] && cp "$f" "$out/"
done
# lintian checks the .changes and every package it names.
if ! lintian --fail-on error,warning --info "$out"/hardrun_"$version"_*.changes >"$out/lintian.txt" 2>&1; then
    cat "$out/lintian.txt" >&2
    echo "package: lintian found errors or warnings" >&2
    exit 1
fi
ls "$out"/hardrun_"$version"_*.deb
