#!/bin/bash
# hardrun's node installer: what the Kubernetes DaemonSet (contrib/kubernetes/installer.yaml)
# runs on every node, and what an operator can run by hand on a containerd host.
#
#   install.sh [--source DIR] [--root DIR] [--prefix /usr/local] [--binary-root DIR]
#              [--containerd-config FILE] [--restart-command CMD] [--no-restart]
#   install.sh --user-only [--root DIR]     (steps 2 and 3 alone: what the test suite needs)
#   install.sh --uninstall [--root DIR] [--prefix /usr/local] [--containerd-config FILE]
#              [--restart-command CMD] [--no-restart]
#
#  1. installs DIR/hardrun as PREFIX/sbin/hardrun, with a hardrun-NAME link for each shipped
#     profile (strict, compat, audit), and DIR/profiles/*.json under PREFIX/share/hardrun/profiles
#     (policy.json as default.json);
#  2. creates the system user "hardrun" and gives it a subordinate uid/gid range in /etc/subuid and
#     /etc/subgid (the range user-namespace remapping draws from);
#  3. where the node enforces AppArmor, installs contrib/apparmor/hardrun-default into
#     /etc/apparmor.d and loads it (the profile hardrun gives containers that have none);
#  4. adds one containerd runtime per profile (hardrun, hardrun-strict, ...: the handlers of the
#     RuntimeClasses in contrib/kubernetes/) to the containerd config, inside a block this script
#     owns, copying runc's SystemdCgroup setting; nothing outside that block is touched;
#  5. restarts containerd when its config changed (--restart-command, default
#     "systemctl restart containerd"; --no-restart to skip).
# Every step is idempotent: a second run changes nothing and restarts nothing.
# --root DIR treats DIR as the host's / (the DaemonSet mounts the node's / at /host).
# --binary-root DIR: containerd finds the binaries under DIR (BinaryName = DIR/PREFIX/sbin/NAME;
#   default /, containerd runs on the node whose / is --root). A containerd that runs beside the
#   installer, as in hardrun's own tests, sees the node at --root: pass the same directory.
# A binary built for another profiles directory than PREFIX/share/hardrun/profiles is refused,
# unless that directory already holds the very profiles being installed (a development build
# that reads the source tree's profiles/).
# --uninstall undoes steps 1 and 4 (the runtimes' block, the binary, its links and profiles) and
# restarts containerd when its config changed; the user and its subordinate ranges stay, since
# files in images or volumes may be owned by them.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
root=/
prefix=/usr/local
containerd_config=/etc/containerd/config.toml
restart_command="systemctl restart containerd"
restart=1
user_only=0
uninstall=0
binary_root=
profiles=(strict compat audit)

while (($#)); do
    case $1 in
    --source) source_dir=$2; shift 2 ;;
    --root) root=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --binary-root) binary_root=${2%/}; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    --containerd-config) containerd_config=$2; shift 2 ;;
    --restart-command) restart_command=$2; shift 2 ;;
    --no-restart) restart=0; shift ;;
    --user-only) user_only=1; shift ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
root=${root%/}
say() { echo "hardrun install: $*"; }

# The remapping user and its subordinate range, above every range already handed out.
ensure_user() {
    if ! grep -q '^hardrun:' "$root/etc/passwd"; then
        if [[ $root == "" ]]; then
            useradd --system --no-create-home --shell /usr/sbin/nologin --user-group hardrun
        else
            useradd --prefix "$root" --system --no-create-home --shell /usr/sbin/nologin --user-group hardrun
        fi
        say "created the system user hardrun"
    fi
    range=16777216  # 256 ranges of 65536
    for f in "$root/etc/subuid" "$root/etc/subgid"; do
        touch "$f"
        if ! grep -q '^hardrun:' "$f"; then
            start=$(awk -F: 'BEGIN { top = 1048576 } NF == 3 && $2 + $3 > top { top = $2 + $3 } END { printf "%d", top }' "$f")
            start=$(( (start + 65535) / 65536 * 65536 ))
            echo "hardrun:$start:$range" >>"$f"
            say "gave hardrun $f range $start:$range"
        fi
    done
}
# hardrun's AppArmor profile (contrib/apparmor/hardrun-default), where the node enforces AppArmor:
# installed into /etc/apparmor.d (loaded again at boot) and loaded now. The policy gives it to a
# container that has no confining profile; without it, hardrun falls back to an engine's default.
ensure_apparmor_profile() {
    [[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) == Y ]] || return 0
    if ! command -v apparmor_parser >/dev/null; then
        say "AppArmor is enabled but apparmor_parser is missing (package apparmor): hardrun-default not loaded"
        return 0
    fi
    local dest=$root/etc/apparmor.d/hardrun-default
    if ! cmp -s "$source_dir/contrib/apparmor/hardrun-default" "$dest" ||
        ! grep -q '^hardrun-default (enforce)$' /sys/kernel/security/apparmor/profiles 2>/dev/null; then
        install -D -m 0644 "$source_dir/contrib/apparmor/hardrun-default" "$dest"
        apparmor_parser -r -W "$dest"
        say "loaded the AppArmor profile hardrun-default ($dest)"
    fi
}

if ((user_only)); then
    ensure_user
    ensure_apparmor_profile
    exit 0
fi

bin_dir=$root$prefix/sbin
profiles_dir=$root$prefix/share/hardrun/profiles
config=$root$containerd_config

# The containerd config: the runtimes' table for its version, and the config without our block.
containerd_block_prepare() {
    mkdir -p "$(dirname "$config")"
    [[ -e $config ]] || printf 'version = 2\n' >"$config"
    version=$(sed -nE 's/^[[:space:]]*version[[:space:]]*=[[:space:]]*([0-9]+).*/\1/p' "$config" | head -1)
    case ${version:-1} in
    1) table='plugins.cri.containerd.runtimes' ;;
    2) table='plugins."io.containerd.grpc.v1.cri".containerd.runtimes' ;;
    3) table="plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes" ;;
    *) echo "install.sh: containerd config version $version is not known" >&2; exit 1 ;;
    esac
    begin='# BEGIN hardrun runtimes (written by hardrun'"'"'s installer; edits inside are overwritten)'
    end='# END hardrun runtimes'
    outside=$(awk -v b="$begin" -v e="$end" '$0 == b { skip = 1 } !skip { print } $0 == e { skip = 0 }' "$config")
}

# containerd_config_write NEW WHAT: replace the config with NEW when it differs, then restart.
containerd_config_write() {
    if [[ "$(cat "$config")"$'\n' != "$1" ]]; then
        tmp=$(mktemp "$config.hardrun-XXXXXX")
        printf '%s' "$1" >"$tmp"
        chmod --reference="$config" "$tmp" 2>/dev/null || chmod 0644 "$tmp"
        mv "$tmp" "$config"
        say "$2 $config"
        if ((restart)); then
            say "restarting containerd: $restart_command"
            sh -c "$restart_command"
        fi
        return 0
    fi
    return 1
}

if ((uninstall)); then
    if [[ -e $config ]]; then
        containerd_block_prepare
        containerd_config_write "$outside"$'\n' "removed the hardrun runtimes from" ||
            say "$config has no hardrun runtimes"
    fi
    for name in hardrun "${profiles[@]/#/hardrun-}"; do
        if [[ -e $bin_dir/$name || -L $bin_dir/$name ]]; then
            rm -f "$bin_dir/$name"
            say "removed $bin_dir/$name"
        fi
    done
    if [[ -d $profiles_dir ]]; then
        rm -rf "$profiles_dir"
        rmdir "$(dirname "$profiles_dir")" 2>/dev/null || true
        say "removed $profiles_dir"
    fi
    exit 0
fi

# hardrun and the profiles: the payload is either a build tree (DIR/build/hardrun) or a flat
# directory (DIR/hardrun), with DIR/profiles.
binary=$source_dir/hardrun
[[ -x $binary ]] || binary=$source_dir/build/hardrun
[[ -x $binary ]] || { echo "install.sh: no hardrun binary in $source_dir" >&2; exit 1; }

# copy_if_changed SRC DEST MODE: install only when the content differs.
copy_if_changed() {
    if ! cmp -s "$1" "$2"; then
        install -D -m "$3" "$1" "$2"
        say "installed $2"
    fi
}

# The binary looks for named profiles where it was built to; they must be found there.
built_for=$("$binary" --version 2>/dev/null | sed -n 's/^profiles: //p')
if [[ $built_for != "$prefix/share/hardrun/profiles" ]]; then
    same=1
    for p in "${profiles[@]}"; do
        cmp -s "$source_dir/profiles/$p.json" "$built_for/$p.json" || same=0
    done
    if ((!same)) || [[ -z $built_for ]]; then
        echo "install.sh: $binary looks for profiles in ${built_for:-?}, not $prefix/share/hardrun/profiles;" \
            "build it with --prefix=$prefix (and no -Dprofiles_dir)" >&2
        exit 1
    fi
    say "$binary reads its profiles from $built_for (the same as these)"
fi
copy_if_changed "$binary" "$bin_dir/hardrun" 0755
copy_if_changed "$source_dir/profiles/policy.json" "$profiles_dir/default.json" 0644
for f in "$source_dir"/profiles/*.json; do
    [[ $(basename "$f") == policy.json ]] || copy_if_changed "$f" "$profiles_dir/$(basename "$f")" 0644
done
for p in "${profiles[@]}"; do
    if [[ $(readlink "$bin_dir/hardrun-$p" 2>/dev/null) != hardrun ]]; then
        ln -sfn hardrun "$bin_dir/hardrun-$p"
        say "linked $bin_dir/hardrun-$p"
    fi
done

ensure_user
ensure_apparmor_profile

# containerd: one runtime per profile, in a block between markers.
containerd_block_prepare
# A runtime of ours defined by hand outside the block would make a duplicate TOML table.
if grep -qE "^[[:space:]]*\[$(printf '%s' "$table" | sed 's/[.[\]"]/\\&/g')\.hardrun(-[a-z]+)?(\.options)?\]" <<<"$outside"; then
    echo "install.sh: $config already defines a hardrun runtime outside the installer's block; remove it first" >&2
    exit 1
fi
# runc's SystemdCgroup setting, if the config has one: the cgroup driver must match kubelet's.
systemd=$(awk -v hdr="[$table.runc.options]" '
    { line = $0; gsub(/^[ \t]+|[ \t]+$/, "", line) }
    line ~ /^\[/ { inside = (line == hdr) ; next }
    inside && line ~ /^SystemdCgroup[ \t]*=/ { sub(/^SystemdCgroup[ \t]*=[ \t]*/, "", line); print line; exit }
' <<<"$outside")
block=$begin$'\n'
for name in hardrun "${profiles[@]/#/hardrun-}"; do
    block+="[$table.$name]"$'\n'
    block+='  runtime_type = "io.containerd.runc.v2"'$'\n'
    block+='  pod_annotations = ["run.hardrun.profile"]'$'\n'
    block+="[$table.$name.options]"$'\n'
    block+="  BinaryName = \"$binary_root$prefix/sbin/$name\""$'\n'
    [[ -n $systemd ]] && block+="  SystemdCgroup = $systemd"$'\n'
done
block+=$end
# Everything outside the block stays as it was (but for trailing blank lines).
containerd_config_write "$outside"$'\n'"$block"$'\n' "added the hardrun runtimes to" ||
    say "$config already has the hardrun runtimes"
