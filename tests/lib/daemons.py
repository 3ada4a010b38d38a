"""Private container engines for hardrun's end-to-end tests (stdlib only, run as root).

PrivateDockerd(runtimes, default_runtime=None, extra_config=None, env=None, containerd="private",
               netns=False)
    A dockerd (Debian's docker.io 20.10) with everything it writes under one fresh temp dir
    /tmp/hardrun-e2e-XXXXXXXX: daemon.json, data-root, exec-root, pidfile, API socket, trust
    key, the CLI's config dir and the daemon log. Its containerd is private too:
      containerd="private" (default): a PrivateContainerd in <tmp>/containerd, handed to
        dockerd with --containerd (as Debian's packaging does with its system containerd);
        its config is ours, so nothing lands in /opt/containerd either.
      containerd="managed": dockerd starts its own containerd; socket, state and pid file
        under <exec-root>/containerd, root under <data-root>/containerd. That containerd's
        opt plugin creates /opt/containerd/{bin,lib} (dockerd 20.10 gives no way to move it).
    The host network is left alone (no bridge, no iptables, no ip-forward, no masquerade).
    netns=True: Docker's default bridge network, kept off the host: dockerd runs in a network
      namespace of its own (nsenter --net=<tmp>/netns, created with `unshare --net=FILE`, so
      the namespace is a bind mount under the temp dir, removed with it; nothing in
      /run/netns), where it creates docker0 (bip NETNS_BIP), its iptables rules (nftables
      tables are per namespace), ip_forward and masquerading. Only dockerd's network
      namespace changes: it shares the host's mount namespace, and a private containerd, its
      shims and the runtimes stay in the host's network namespace (a managed one, dockerd's
      child, would share dockerd's); runc creates each container's namespace and dockerd
      moves the veth's far end into it. netns_run(argv) runs a command in that namespace
      (say, a server on the bridge gateway); netns_argv(argv) is its command line.
    In managed mode it refuses to start when /run/containerd/containerd.sock exists, because
    dockerd 20.10 would then silently use that (system) containerd.

PrivateContainerd(namespace="hardrun-e2e", env=None)
    A containerd 1.6 with its own config.toml: root, state, gRPC/ttrpc sockets, opt dir,
    runc root and FIFO dir all under the temp dir; no debug or metrics socket; the CRI
    plugin disabled.

PrivateCriContainerd(hardrun_bin)
    A PrivateContainerd with its CRI plugin on (the kubelet path), its config written by
    hardrun's node installer contrib/install.sh into a stand-in node root under the temp dir
    (one runtime per shipped profile), loopback+static CNI, a static pause sandbox image and
    the busybox image imported, and a CRI v1 client (.client, tests/lib/cri_client.py). stop()
    removes every pod through the CRI first. See the class docstring.

PrivatePodman(runtime=None)
    Not a daemon: a podman command line whose --root, --runroot, --tmpdir, --volumepath and
    network config dir live under the temp dir (cgroupfs manager, file events backend).
    Rootful podman 4.3 passes no --root to the OCI runtime, so runc keeps its state in
    /run/runc; stop() force-deletes only the runc containers there whose state names our
    temp dir.

What every class guarantees, whatever happens in the test (use them as context managers;
__exit__ always runs stop(), and a failure while starting cleans up before it raises):
  * stop() removes all containers it can still reach through the engine (docker rm -f,
    ctr tasks kill/delete, CRI StopPodSandbox/RemovePodSandbox, podman rm -f), stops the daemon by the pid in its pid file,
    checked to be the process it started (SIGTERM, SIGKILL after 30 s), then
    the managed containerd by its own pid file, force-deletes any runc container whose
    state lives under the temp dir, kills (by pid) leftover processes whose command line
    names the temp dir (shims, conmon), unmounts every mount under the temp dir (deepest
    first, lazily when busy) and removes the temp dir. It never signals anything by name.
  * The temp dir is removed only when no mount is left under it, so a stray bind mount can
    never make the removal reach outside it. stop() is idempotent.
  * Set HARDRUN_E2E_KEEP_LOGS=DIR to copy the daemon logs there before the temp dir goes.

Host paths the engines still touch (hard-coded, outside our control): containerd 1.6's shim
sockets in /run/containerd/s/ (removed when the shim exits), dockerd's plugin discovery dir
/run/docker/plugins, for `ctr run` without --fifo-dir /run/containerd/fifo (use
PrivateContainerd.run_args()), podman's /run/containers/networks and runc's default root
/run/runc; the runc-v2 shim writes exec process specs to /tmp/runc-process* and podman
update its resources to /var/tmp/podman* (both removed after use). Those of HOST_DIRS that
did not exist before start() are removed again by stop() when they are empty.
"""

import ctypes
import ctypes.util
import errno
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

TMP_PARENT = "/tmp"
TMP_PREFIX = "hardrun-e2e-"
LIB_DIR = os.path.dirname(os.path.abspath(__file__))
MKIMAGE = os.path.join(LIB_DIR, "mkimage.sh")
MKROOTFS = os.path.join(LIB_DIR, "mkrootfs.sh")
PAUSE_C = os.path.join(LIB_DIR, "pause.c")
REPO_DIR = os.path.dirname(os.path.dirname(LIB_DIR))
INSTALL_SH = os.path.join(REPO_DIR, "contrib", "install.sh")
DEFAULT_IMAGE = "hardrun-test/busybox:latest"
SYSTEM_CONTAINERD_SOCK = "/run/containerd/containerd.sock"
# PrivateDockerd(netns=True): docker0's address inside dockerd's own network namespace.
NETNS_BIP = "172.31.250.1/24"
# Directories the engines create on the host by themselves; deepest first.
HOST_DIRS = ("/run/docker/plugins", "/run/docker", "/run/containerd/s", "/run/containerd/fifo",
             "/run/containerd/runc/k8s.io", "/run/containerd/runc", "/run/containerd", "/opt/containerd/bin", "/opt/containerd/lib", "/opt/containerd",
             "/run/containers/networks", "/run/containers", "/run/runc")
# runc's default --root, which rootful podman 4.3 leaves to runc (it passes no --root).
RUNC_DEFAULT_ROOT = "/run/runc"


def _exe(env_name, *candidates):
    """First of $env_name, then the absolute candidates that exist, then PATH lookups."""
    value = os.environ.get(env_name)
    if value:
        return value
    for c in candidates:
        if os.path.isabs(c) and os.access(c, os.X_OK):
            return c
    for c in candidates:
        found = shutil.which(os.path.basename(c))
        if found:
            return found
    return candidates[0]


# Debian's client matches dockerd 20.10; /usr/local/bin/docker (28) also works (HARDRUN_DOCKER_CLI).
DOCKER_CLI = _exe("HARDRUN_DOCKER_CLI", "/usr/bin/docker", "docker")
DOCKERD = _exe("HARDRUN_DOCKERD", "/usr/sbin/dockerd", "dockerd")
CONTAINERD = _exe("HARDRUN_CONTAINERD", "/usr/bin/containerd", "containerd")
CTR = _exe("HARDRUN_CTR", "/usr/bin/ctr", "ctr")
PODMAN = _exe("HARDRUN_PODMAN", "/usr/bin/podman", "podman")
NSENTER = _exe("HARDRUN_NSENTER", "/usr/bin/nsenter", "nsenter")
UNSHARE = _exe("HARDRUN_UNSHARE", "/usr/bin/unshare", "unshare")
IP = _exe("HARDRUN_IP", "/usr/sbin/ip", "/sbin/ip", "ip")
RUNC = _exe("HARDRUN_RUNC", "/usr/sbin/runc", "runc")


class CommandError(subprocess.CalledProcessError):
    """CalledProcessError whose message carries the command's stderr and stdout."""

    def __str__(self):
        msg = super().__str__()
        out = (self.stdout or "").strip()
        err = (self.stderr or "").strip()
        if err:
            msg += "\nstderr:\n" + err[-4000:]
        if out:
            msg += "\nstdout:\n" + out[-4000:]
        return msg


def run_cmd(argv, check=True, input=None, timeout=120, env=None, cwd=None):
    """subprocess.run with text output captured; raises CommandError (with output) if check."""
    res = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout,
                         env=env, cwd=cwd, stdin=None if input is not None else subprocess.DEVNULL)
    if check and res.returncode != 0:
        raise CommandError(res.returncode, argv, res.stdout, res.stderr)
    return res


def tail(path, lines=60):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except OSError as e:
        return "(no log: %s)" % e
    return "\n".join(data.splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------
# processes

def _proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
        return data[data.rindex(")") + 2]
    except (OSError, ValueError, IndexError):
        return None


def pid_alive(pid):
    """True while pid exists and is not a zombie (our own zombie children are reaped here)."""
    if not pid or pid <= 0:
        return False
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    except OSError:
        pass
    state = _proc_state(pid)
    return state is not None and state != "Z"


def terminate_pid(pid, timeout=30.0, popen=None):
    """SIGTERM pid, wait up to timeout, then SIGKILL it and wait again. Returns True if gone."""
    if not pid_alive(pid):
        if popen is not None:
            popen.poll()
        return True
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    if _wait_gone(pid, timeout, popen):
        return True
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    return _wait_gone(pid, 10.0, popen)


def _wait_gone(pid, timeout, popen=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen is not None and popen.pid == pid:
            try:
                popen.wait(timeout=0.1)
                return True
            except subprocess.TimeoutExpired:
                continue
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    return not pid_alive(pid)


def read_pidfile(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or "0")
    except (OSError, ValueError):
        return 0


def _cmdline_args(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            raw = f.read()
    except OSError:
        return []
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]


def _cmdline_mentions(pid, path):
    return any(a == path or (path + "/") in a for a in _cmdline_args(pid))


def _ancestors():
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open("/proc/%d/stat" % pid) as f:
                data = f.read()
            pid = int(data[data.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def pids_mentioning(path):
    """Pids (not ours, not our ancestors) whose argv names path or something under it."""
    skip = _ancestors()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        if pid in skip:
            continue
        if _cmdline_mentions(pid, path) and pid_alive(pid):
            found.append(pid)
    return sorted(found)


# ---------------------------------------------------------------------------------------------
# mounts

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
MNT_DETACH = 2


def _unescape_mountinfo(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 3 < len(s) and s[i + 1:i + 4].isdigit():
            out.append(chr(int(s[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def mounts_under(root):
    """Mount points at or below root, from /proc/self/mountinfo, in mount order."""
    root = os.path.realpath(root)
    result = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split(" ")
            if len(fields) < 5:
                continue
            mp = _unescape_mountinfo(fields[4])
            if mp == root or mp.startswith(root + "/"):
                result.append(mp)
    return result


def _umount2(path, flags):
    if _libc.umount2(os.fsencode(path), flags) == 0:
        return 0
    return ctypes.get_errno()


def unmount_under(root, log=None):
    """Unmount everything at or below root, deepest (and latest) first; lazy when busy.

    Returns the mount points still present afterwards (empty on success)."""
    for _ in range(10):
        mps = mounts_under(root)
        if not mps:
            return []
        # Deepest first; for equal depth, the later (stacked on top) first.
        order = sorted(enumerate(mps), key=lambda t: (t[1].count("/"), t[0]), reverse=True)
        progress = False
        for _, mp in order:
            err = _umount2(mp, 0)
            if err in (errno.EBUSY, errno.EAGAIN):
                err = _umount2(mp, MNT_DETACH)
            if err == 0:
                progress = True
            elif err not in (errno.EINVAL, errno.ENOENT) and log:
                log("umount %s: %s" % (mp, os.strerror(err)))
        if not progress:
            break
    return mounts_under(root)


def runc_delete_all(runc_root, log=None, only_mentioning=None):
    """runc delete --force every container whose state dir is in runc_root.

    With only_mentioning=PATH, only those whose state.json contains PATH (their bundle or
    rootfs is ours): for shared roots such as /run/runc."""
    if not os.path.isdir(runc_root):
        return
    for cid in sorted(os.listdir(runc_root)):
        state = os.path.join(runc_root, cid, "state.json")
        if not os.path.exists(state):
            continue
        if only_mentioning:
            try:
                with open(state, "rb") as f:
                    if (only_mentioning.rstrip("/") + "/").encode() not in f.read():
                        continue
            except OSError:
                continue
        try:
            res = run_cmd([RUNC, "--root", runc_root, "delete", "--force", cid], check=False, timeout=30)
            if log:
                log("runc delete --force %s (root %s): rc=%d %s" % (cid, runc_root, res.returncode,
                                                                  res.stderr.strip()))
        except (OSError, subprocess.SubprocessError) as e:
            if log:
                log("runc delete --force %s: %s" % (cid, e))


# ---------------------------------------------------------------------------------------------
# images

def build_image_tar(out_path):
    """The mkrootfs.sh rootfs as a reproducible tarball (mkimage.sh)."""
    run_cmd([MKIMAGE, out_path], timeout=120)
    return out_path


def build_oci_archive(layer_tar, ref, out_path, cmd=("/bin/sh",), entrypoint=None):
    """A one-layer OCI image-layout archive of layer_tar, importable by `ctr images import`."""
    def blob(data):
        return "sha256:" + hashlib.sha256(data).hexdigest(), data

    with open(layer_tar, "rb") as f:
        layer = f.read()
    layer_digest, _ = blob(layer)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "created": "2000-01-01T00:00:00Z",
        "config": dict({"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                        "Cmd": list(cmd)}, **({"Entrypoint": list(entrypoint)} if entrypoint else {})),
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    }, sort_keys=True).encode()
    config_digest, _ = blob(config)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": len(layer)}],
    }, sort_keys=True).encode()
    manifest_digest, _ = blob(manifest)
    tag = ref.rsplit(":", 1)[1] if ":" in ref.rsplit("/", 1)[-1] else "latest"
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": manifest_digest, "size": len(manifest),
                       "platform": {"architecture": "amd64", "os": "linux"},
                       "annotations": {"io.containerd.image.name": ref,
                                       "org.opencontainers.image.ref.name": tag}}],
    }, sort_keys=True).encode()

    def add(tf, name, data):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        ti.mtime = 946684800
        ti.mode = 0o644
        tf.addfile(ti, io.BytesIO(data))

    with tarfile.open(out_path, "w", format=tarfile.GNU_FORMAT) as tf:
        add(tf, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(tf, "index.json", index)
        for digest, data in ((config_digest, config), (manifest_digest, manifest),
                             (layer_digest, layer)):
            add(tf, "blobs/sha256/" + digest.split(":", 1)[1], data)
    return out_path


def build_pause_tar(out_path, work_dir):
    """A one-file layer: tests/lib/pause.c built static as /pause (the CRI sandbox image)."""
    binary = os.path.join(work_dir, "pause")
    run_cmd(["gcc", "-static", "-Os", "-Wall", "-Werror", "-o", binary, PAUSE_C], timeout=120)
    with tarfile.open(out_path, "w", format=tarfile.GNU_FORMAT) as tf:
        ti = tf.gettarinfo(binary, "pause")
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        ti.mtime = 946684800
        ti.mode = 0o755
        with open(binary, "rb") as f:
            tf.addfile(ti, f)
    return out_path


# ---------------------------------------------------------------------------------------------
# base

class _Private:
    """Temp dir + cleanup discipline shared by the engines."""

    log_names = ()

    def __init__(self, base_dir=None):
        self.base_dir = base_dir  # use this (new) directory instead of a fresh /tmp/hardrun-e2e-*
        self.tmp = None
        self.proc = None
        self._stopped = False
        self._host_dirs_before = None
        self.cleanup_notes = []

    def _note(self, msg):
        self.cleanup_notes.append(msg)
        sys.stderr.write("[%s] %s\n" % (type(self).__name__, msg))

    def _mktemp(self):
        self._host_dirs_before = {d for d in HOST_DIRS if os.path.lexists(d)}
        if self.base_dir:
            os.mkdir(self.base_dir, 0o711)
            self.tmp = os.path.realpath(self.base_dir)
        else:
            self.tmp = tempfile.mkdtemp(prefix=TMP_PREFIX, dir=TMP_PARENT)
        # Others may traverse (not list): container users and idmapped roots reach their rootfs.
        os.chmod(self.tmp, 0o711)
        return self.tmp

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.stop()
        except Exception as e:
            if exc is None:
                raise
            # Do not hide the test's own exception; the cleanup problem goes to stderr.
            sys.stderr.write("[%s] %s\n" % (type(self).__name__, e))
        return False

    def start(self):
        raise NotImplementedError

    # Subclasses: _stop_engine() stops containers and daemons; _runc_roots() lists runc roots.
    def _stop_engine(self):
        pass

    def _runc_roots(self):
        return []

    def _keep_logs(self):
        dest = os.environ.get("HARDRUN_E2E_KEEP_LOGS")
        if not dest or not self.tmp:
            return
        try:
            os.makedirs(dest, exist_ok=True)
            for name in self.log_names:
                src = self.path(name)
                if os.path.exists(src):
                    shutil.copy(src, os.path.join(dest, "%s-%s" % (os.path.basename(self.tmp), name)))
        except OSError as e:
            self._note("keeping logs: %s" % e)

    def stop(self):
        """Idempotent full cleanup; raises RuntimeError at the end if something was left behind
        (processes, mounts, the temp dir). Failed steps that later steps made up for (say, the
        engine was already dead) are only noted in self.cleanup_notes and on stderr."""
        if self._stopped:
            return
        self._stopped = True
        if self.tmp is None:
            return
        problems = []
        steps = [("engine", self._stop_engine), ("runc", self._cleanup_runc),
                 ("processes", self._cleanup_processes)]
        for name, step in steps:
            try:
                step()
            except Exception as e:  # keep going: the next steps may still clean up
                self._note("cleanup step %s failed: %s" % (name, e))
        strays = pids_mentioning(self.tmp)
        if strays:
            problems.append("processes still running: %s" % strays)
        self._keep_logs()
        left = unmount_under(self.tmp, log=self._note)
        if left:
            problems.append("mounts left under %s: %s" % (self.tmp, left))
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if os.path.exists(self.tmp):
                problems.append("could not remove %s" % self.tmp)
        self._remove_host_dirs()
        if problems:
            raise RuntimeError("%s cleanup incomplete: %s" % (type(self).__name__, "; ".join(problems)))

    def _remove_host_dirs(self):
        """rmdir (only if empty) the HOST_DIRS the engines created while we ran."""
        if self._host_dirs_before is None:
            return
        for d in HOST_DIRS:
            if d in self._host_dirs_before or os.path.islink(d) or not os.path.isdir(d):
                continue
            try:
                os.rmdir(d)
            except OSError:
                pass  # not empty: someone else (another private engine) still uses it

    def _cleanup_runc(self):
        for root in self._runc_roots():
            runc_delete_all(root, log=self._note)

    def _cleanup_processes(self):
        strays = pids_mentioning(self.tmp)
        for pid in strays:
            self._note("killing leftover pid %d: %s" % (pid, " ".join(_cmdline_args(pid))[:200]))
            terminate_pid(pid, timeout=5)
        still = [p for p in strays if pid_alive(p)]
        if still:
            raise RuntimeError("processes still alive: %s" % still)

    def _start_process(self, argv, log_name, env=None):
        full_env = dict(os.environ)
        full_env.update(env or {})
        logf = open(self.path(log_name), "ab")
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=subprocess.STDOUT, env=full_env,
                                         start_new_session=True, close_fds=True)
        finally:
            logf.close()
        return self.proc

    def _wait_ready(self, probe, log_name, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with status %s during startup; log tail:\n%s"
                                   % (type(self).__name__, self.proc.returncode,
                                      tail(self.path(log_name))))
            try:
                res = probe()
                if res.returncode == 0:
                    return
                last = (res.stderr or res.stdout).strip()
            except subprocess.TimeoutExpired as e:
                last = "probe timed out: %s" % e
            time.sleep(0.3)
        raise RuntimeError("%s not ready after %ss (last probe: %s); log tail:\n%s"
                           % (type(self).__name__, timeout, last, tail(self.path(log_name))))


# ---------------------------------------------------------------------------------------------
# dockerd

class PrivateDockerd(_Private):
    """A private dockerd; see the module docstring. Use as `with PrivateDockerd({...}) as d:`."""

    log_names = ("dockerd.log", "daemon.json")
    _RESERVED = ("data-root", "exec-root", "pidfile", "hosts", "graph", "containerd")

    def __init__(self, runtimes=None, default_runtime=None, extra_config=None, env=None,
                 containerd="private", start_timeout=60, netns=False):
        super().__init__()
        self.netns = bool(netns)
        if containerd not in ("private", "managed"):
            raise ValueError("containerd must be 'private' or 'managed'")
        self.containerd_mode = containerd
        self.containerd = None  # the PrivateContainerd in private mode
        self.runtimes = dict(runtimes or {})
        self.default_runtime = default_runtime
        self.extra_config = dict(extra_config or {})
        self.env = dict(env or {})
        self.start_timeout = start_timeout
        bad = [k for k in self.extra_config if k in self._RESERVED]
        if bad:
            raise ValueError("extra_config may not set %s: PrivateDockerd owns them" % bad)

    # paths (valid once started)
    @property
    def data_root(self):
        return self.path("data")

    @property
    def exec_root(self):
        return self.path("exec")

    @property
    def pidfile(self):
        return self.path("docker.pid")

    @property
    def socket(self):
        return self.path("docker.sock")

    @property
    def config_file(self):
        return self.path("daemon.json")

    @property
    def log_file(self):
        return self.path("dockerd.log")

    @property
    def netns_path(self):
        """netns=True: the bind mount holding dockerd's network namespace."""
        return self.path("netns") if self.netns else None

    def netns_argv(self, *argv):
        """argv run in dockerd's network namespace (only the network namespace is entered)."""
        if not self.netns:
            raise RuntimeError("PrivateDockerd was started without netns=True")
        return [NSENTER, "--net=" + self.netns_path, *argv]

    def netns_run(self, *argv, check=True, timeout=60):
        return run_cmd(self.netns_argv(*argv), check=check, timeout=timeout)

    def _make_netns(self):
        # A persistent namespace is a bind mount of /proc/PID/ns/net onto a file; unshare makes
        # it on our file, so unmount_under(tmp) at stop() drops the last reference.
        open(self.netns_path, "w").close()
        run_cmd([UNSHARE, "--net=" + self.netns_path, "true"], timeout=30)
        self.netns_run(IP, "link", "set", "lo", "up")

    @property
    def containerd_socket(self):
        if self.containerd is not None:
            return self.containerd.socket
        return os.path.join(self.exec_root, "containerd", "containerd.sock")

    @property
    def runc_root(self):
        """Where runc (or the runtime named by a container) keeps state: <exec-root>/runtime-runc/moby."""
        return os.path.join(self.exec_root, "runtime-runc", "moby")

    def start(self):
        if self.containerd_mode == "managed" and os.path.lexists(SYSTEM_CONTAINERD_SOCK):
            raise RuntimeError("%s exists: dockerd 20.10 would use that (system) containerd instead "
                               "of a managed private one; stop it first" % SYSTEM_CONTAINERD_SOCK)
        self._mktemp()
        for d in ("data", "exec", "cli"):
            os.mkdir(self.path(d), 0o711)
        if self.containerd_mode == "private":
            self.containerd = PrivateContainerd(namespace="moby", env=self.env,
                                                base_dir=self.path("containerd"))
            self.containerd.start()
        if self.netns:
            self._make_netns()
            # Docker's defaults, in dockerd's own network namespace.
            network = {"bip": NETNS_BIP, "iptables": True, "ip6tables": False,
                       "ip-forward": True, "ip-masq": True}
        else:
            # Leave the host network alone.
            network = {"bridge": "none", "iptables": False, "ip6tables": False,
                       "ip-forward": False, "ip-masq": False}
        config = {
            "runtimes": self.runtimes,
            **network,
            "userland-proxy": False,
            # dockerd 20.10 would otherwise create /etc/docker/key.json.
            "deprecated-key-path": self.path("key.json"),
            "debug": True,
        }
        if self.default_runtime:
            config["default-runtime"] = self.default_runtime
        config.update(self.extra_config)
        with open(self.config_file, "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
            f.write("\n")
        argv = [DOCKERD, "--config-file", self.config_file, "--data-root", self.data_root,
                "--exec-root", self.exec_root, "--pidfile", self.pidfile,
                "-H", "unix://" + self.socket]
        if self.containerd is not None:
            argv += ["--containerd", self.containerd.socket]
        if self.netns:
            argv = self.netns_argv(*argv)  # nsenter execs dockerd: same pid
        self._start_process(argv, "dockerd.log", env=self.env)
        self._wait_ready(lambda: self.docker("info", "--format", "{{.ServerVersion}}",
                                             check=False, timeout=10),
                         "dockerd.log", self.start_timeout)
        return self

    def cli_env(self):
        env = dict(os.environ)
        env["DOCKER_HOST"] = "unix://" + self.socket
        env["DOCKER_CONFIG"] = self.path("cli")
        for k in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
            env.pop(k, None)
        return env

    def docker(self, *args, check=True, input=None, timeout=120):
        """Run the docker CLI against this daemon; CompletedProcess with text stdout/stderr."""
        return run_cmd([DOCKER_CLI, *args], check=check, input=input, timeout=timeout,
                       env=self.cli_env())

    def import_image(self, name=DEFAULT_IMAGE):
        tar = self.path("image.tar")
        if not os.path.exists(tar):
            build_image_tar(tar)
        self.docker("import", "--change", 'CMD ["/bin/sh"]', tar, name, timeout=120)
        return name

    def daemon_pid(self):
        return read_pidfile(self.pidfile) or (self.proc.pid if self.proc else 0)

    def _runc_roots(self):
        base = os.path.join(self.exec_root, "runtime-runc")
        if not os.path.isdir(base):
            return []
        return [os.path.join(base, ns) for ns in sorted(os.listdir(base))]

    def _stop_engine(self):
        problems = []
        if self.proc is not None and self.proc.poll() is None:
            try:
                ids = self.docker("ps", "-aq", "--no-trunc", timeout=30).stdout.split()
                if ids:
                    self.docker("rm", "-f", *ids, check=False, timeout=120)
            except Exception as e:
                problems.append("removing containers: %s" % e)
        pid = self.daemon_pid()
        if pid and not (self.proc is not None and pid == self.proc.pid) \
                and not _cmdline_mentions(pid, self.tmp):
            # A pid file that names someone else's process: only stop the process we started.
            self._note("pid file names pid %d, not ours; using %d" % (pid, self.proc.pid if self.proc else 0))
            pid = self.proc.pid if self.proc else 0
        if pid and not terminate_pid(pid, timeout=30, popen=self.proc):
            problems.append("dockerd pid %d did not exit" % pid)
        if self.proc is not None and self.proc.pid != pid:
            terminate_pid(self.proc.pid, timeout=10, popen=self.proc)
        # dockerd stops its managed containerd on shutdown; make sure, by that containerd's pid file.
        cpid = read_pidfile(os.path.join(self.exec_root, "containerd", "containerd.pid"))
        if cpid and pid_alive(cpid) and _cmdline_mentions(cpid, self.tmp):
            self._note("managed containerd pid %d still running after dockerd exit" % cpid)
            if not terminate_pid(cpid, timeout=15):
                problems.append("containerd pid %d did not exit" % cpid)
        if self.containerd is not None:
            # Its own full cleanup (tasks, daemon, runc, mounts, its directory).
            try:
                self.containerd.stop()
            except Exception as e:
                problems.append(str(e))
        if problems:
            raise RuntimeError("; ".join(problems))


# ---------------------------------------------------------------------------------------------
# containerd

class PrivateContainerd(_Private):
    """A private containerd 1.6; see the module docstring."""

    log_names = ("containerd.log", "config.toml")

    def __init__(self, namespace="hardrun-e2e", env=None, extra_toml="", start_timeout=60,
                 base_dir=None):
        super().__init__(base_dir)
        self.namespace = namespace
        self.env = dict(env or {})
        self.extra_toml = extra_toml
        self.start_timeout = start_timeout

    @property
    def socket(self):
        return self.path("containerd.sock")

    @property
    def config_file(self):
        return self.path("config.toml")

    @property
    def runc_root(self):
        """Pass as `ctr run --runc-root` so runc's state stays private (shim default: /run/containerd/runc)."""
        return self.path("runc")

    @property
    def fifo_dir(self):
        """Pass as `ctr run --fifo-dir` (default /run/containerd/fifo)."""
        return self.path("fifo")

    @property
    def pidfile(self):
        return self.path("containerd.pid")

    def start(self):
        self._mktemp()
        for d in ("root", "state", "opt", "runc", "fifo"):
            os.mkdir(self.path(d), 0o711)
        with open(self.config_file, "w") as f:
            f.write(self._toml('disabled_plugins = ["io.containerd.grpc.v1.cri"]'))
        self._start_daemon()
        return self

    def _toml(self, *extra):
        """The daemon's config: everything under the temp dir, then `extra` lines."""
        def q(s):
            return json.dumps(s)  # a TOML basic string for our plain paths

        return "\n".join([
            "version = 2",
            "root = %s" % q(self.path("root")),
            "state = %s" % q(self.path("state")),
            *extra,
            "",
            "[grpc]",
            "  address = %s" % q(self.socket),
            "",
            "[ttrpc]",
            "  address = %s" % q(self.socket + ".ttrpc"),
            "",
            "[debug]",
            '  address = ""',
            '  level = "debug"',
            "",
            "[metrics]",
            '  address = ""',
            "",
            '[plugins."io.containerd.internal.v1.opt"]',
            "  path = %s" % q(self.path("opt")),
            "",
            self.extra_toml,
            "",
        ])

    def _start_daemon(self):
        self._start_process([CONTAINERD, "--config", self.config_file], "containerd.log", env=self.env)
        with open(self.pidfile, "w") as f:
            f.write("%d\n" % self.proc.pid)
        self._wait_ready(lambda: self.ctr("version", check=False, timeout=10),
                         "containerd.log", self.start_timeout)

    def ctr(self, *args, check=True, input=None, timeout=120, namespace=None):
        """Run `ctr --address <sock> --namespace <ns> ARGS...`."""
        argv = [CTR, "--address", self.socket, "--namespace", namespace or self.namespace, *args]
        return run_cmd(argv, check=check, input=input, timeout=timeout)

    def import_image(self, name="docker.io/" + DEFAULT_IMAGE):
        tar = self.path("image.tar")
        oci = self.path("image-oci.tar")
        if not os.path.exists(oci):
            build_image_tar(tar)
            build_oci_archive(tar, name, oci)
        self.ctr("images", "import", oci, timeout=120)
        return name

    def run_args(self, wrapper=None):
        """The flags that keep a `ctr run` private (and optionally pick a runc binary)."""
        args = ["--runc-root", self.runc_root, "--fifo-dir", self.fifo_dir]
        if wrapper:
            args += ["--runc-binary", wrapper]
        return args

    def _runc_roots(self):
        if not os.path.isdir(self.runc_root):
            return []
        return [os.path.join(self.runc_root, ns) for ns in sorted(os.listdir(self.runc_root))]

    def _stop_engine(self):
        problems = []
        if self.proc is not None and self.proc.poll() is None:
            try:
                namespaces = self.ctr("namespaces", "ls", "-q", timeout=30).stdout.split()
                for ns in namespaces:
                    for tid in self.ctr("tasks", "ls", "-q", namespace=ns, timeout=30).stdout.split():
                        self.ctr("tasks", "kill", "-a", "-s", "SIGKILL", tid, namespace=ns,
                                 check=False, timeout=30)
                        self.ctr("tasks", "delete", "-f", tid, namespace=ns, check=False, timeout=60)
                    cids = self.ctr("containers", "ls", "-q", namespace=ns, timeout=30).stdout.split()
                    if cids:
                        self.ctr("containers", "delete", *cids, namespace=ns, check=False, timeout=60)
            except Exception as e:
                problems.append("removing containers: %s" % e)
        if self.proc is not None:
            if not terminate_pid(self.proc.pid, timeout=30, popen=self.proc):
                problems.append("containerd pid %d did not exit" % self.proc.pid)
        if problems:
            raise RuntimeError("; ".join(problems))


# ---------------------------------------------------------------------------------------------
# containerd with its CRI plugin (the kubelet path)

CRI_NAMESPACE = "k8s.io"
CRI_RUNC_ROOT = "/run/containerd/runc/" + CRI_NAMESPACE  # the runc shim's default for the CRI's namespace
CNI_BIN_DIR = "/usr/lib/cni"  # Debian's containernetworking-plugins
PAUSE_IMAGE = "docker.io/hardrun-test/pause:latest"


class PrivateCriContainerd(PrivateContainerd):
    """A private containerd 1.6 with its CRI plugin, configured as a node with hardrun installed.

    Beside the PrivateContainerd layout, the temp dir holds node/, a stand-in for the node's /
    that hardrun's own node installer (contrib/install.sh, what the Kubernetes DaemonSet runs)
    installs into: binary, hardrun-NAME links, profiles, the remapping user in node/etc, and one
    CRI runtime per profile in node/etc/containerd/config.toml, which is this daemon's config
    (--binary-root: containerd finds the binaries under node/). install_output keeps what the
    installer printed.
    Pods: the sandbox image is a static pause (tests/lib/pause.c) imported with `ctr images
    import`, the app image the busybox one (cri_image); CNI is Debian's loopback plus static
    (127.0.0.1/8) from a conflist under the temp dir, so nothing touches the host's network;
    network namespaces are mounted under the CRI state dir; restrict_oom_score_adj (root here
    lacks CAP_SYS_RESOURCE); AppArmor off (nothing is loaded into the host's kernel).
    Host paths it still touches: runc's state in /run/containerd/runc/k8s.io (the shim's default
    for the CRI's namespace; only containers whose state names the temp dir are force-deleted
    at stop) and the shim sockets in /run/containerd/s.
    stop() first removes every pod through the CRI (StopPodSandbox, RemovePodSandbox), then does
    what PrivateContainerd.stop() does.
    """

    log_names = ("containerd.log", "node/etc/containerd/config.toml")

    def __init__(self, hardrun_bin, env=None, start_timeout=60, base_dir=None):
        super().__init__(namespace=CRI_NAMESPACE, env=env, start_timeout=start_timeout, base_dir=base_dir)
        self.hardrun_bin = hardrun_bin
        self.install_output = ""
        self.client = None
        self.cri_image = None

    @property
    def config_file(self):
        return self.path("node", "etc", "containerd", "config.toml")

    @property
    def node_root(self):
        return self.path("node")

    @property
    def pod_log_dir(self):
        return self.path("pods")

    def start(self):
        self._mktemp()
        for d in ("root", "state", "opt", "runc", "fifo", "cni", "pods", "payload", "node", "node/etc",
                  "node/etc/containerd"):
            os.mkdir(self.path(d), 0o711)
        self._make_node_accounts()
        q = json.dumps
        cri = '[plugins."io.containerd.grpc.v1.cri"]'
        with open(self.config_file, "w") as f:
            f.write(self._toml("disabled_plugins = []") + "\n".join([
                cri,
                "  sandbox_image = %s" % q(PAUSE_IMAGE),
                "  restrict_oom_score_adj = true",
                "  netns_mounts_under_state_dir = true",
                "  disable_apparmor = true",
                '  stream_server_address = "127.0.0.1"',
                '  stream_server_port = "0"',
                "%s.cni]" % cri[:-1],
                "  bin_dir = %s" % q(CNI_BIN_DIR),
                "  conf_dir = %s" % q(self.path("cni")),
                "  max_conf_num = 1",
                "%s.containerd]" % cri[:-1],
                '  default_runtime_name = "runc"',
                '  snapshotter = "overlayfs"',
                "%s.containerd.runtimes.runc]" % cri[:-1],
                '  runtime_type = "io.containerd.runc.v2"',
                "%s.containerd.runtimes.runc.options]" % cri[:-1],
                "  SystemdCgroup = false",
                "",
            ]))
        with open(self.path("cni", "10-hardrun-test.conflist"), "w") as f:
            json.dump({"cniVersion": "1.0.0", "name": "hardrun-test", "plugins": [
                {"type": "loopback"},
                {"type": "static", "ipam": {"addresses": [{"address": "127.0.0.1/8"}]}},
            ]}, f, indent=2)
        # The installer's payload, as in its image: the binary and the profiles.
        os.symlink(self.hardrun_bin, self.path("payload", "hardrun"))
        os.symlink(os.path.join(REPO_DIR, "profiles"), self.path("payload", "profiles"))
        r = run_cmd(["bash", INSTALL_SH, "--source", self.path("payload"), "--root", self.node_root,
                     "--binary-root", self.node_root, "--no-restart"], timeout=120)
        self.install_output = r.stdout
        self._start_daemon()
        self._import_images()
        from cri_client import CriClient
        self.client = CriClient(self.socket)
        self._wait_ready(lambda: self._cri_probe(), "containerd.log", self.start_timeout)
        return self

    def _make_node_accounts(self):
        files = {"passwd": "root:x:0:0:root:/root:/bin/sh\n", "group": "root:x:0:\n",
                 "shadow": "root:*:19000:0:99999:7:::\n", "gshadow": "root:*::\n"}
        for name, text in files.items():
            with open(self.path("node", "etc", name), "w") as f:
                f.write(text)
            os.chmod(self.path("node", "etc", name), 0o640 if "shadow" in name else 0o644)

    def _cri_probe(self):
        try:
            self.client.version()
            return subprocess.CompletedProcess([], 0, "", "")
        except Exception as e:
            return subprocess.CompletedProcess([], 1, "", str(e))

    def _import_images(self):
        tar, oci = self.path("image.tar"), self.path("image-oci.tar")
        build_image_tar(tar)
        self.cri_image = "docker.io/" + DEFAULT_IMAGE
        build_oci_archive(tar, self.cri_image, oci)
        self.ctr("images", "import", oci, timeout=120)
        pause_tar, pause_oci = self.path("pause.tar"), self.path("pause-oci.tar")
        build_pause_tar(pause_tar, self.tmp)
        build_oci_archive(pause_tar, PAUSE_IMAGE, pause_oci, cmd=(), entrypoint=("/pause",))
        self.ctr("images", "import", pause_oci, timeout=120)

    def _cleanup_runc(self):
        super()._cleanup_runc()
        # Shared root: only the containers whose state names our temp dir.
        runc_delete_all(CRI_RUNC_ROOT, log=self._note, only_mentioning=self.tmp)

    def _stop_engine(self):
        problems = []
        if self.client is not None and self.proc is not None and self.proc.poll() is None:
            try:
                for pod in self.client.list_pods():
                    try:
                        self.client.remove_pod(pod.id)
                    except Exception as e:
                        problems.append("removing pod %s: %s" % (pod.id, e))
            except Exception as e:
                problems.append("listing pods: %s" % e)
            self.client.close()
        try:
            super()._stop_engine()
        except Exception as e:
            problems.append(str(e))
        if problems:
            raise RuntimeError("; ".join(problems))


# ---------------------------------------------------------------------------------------------
# podman

class PrivatePodman(_Private):
    """podman with private storage; see the module docstring. No daemon: start() makes dirs."""

    log_names = ()

    def __init__(self, runtime=None, storage_driver="overlay", extra_global_args=(), containers_conf=None,
                 cgroup_manager="cgroupfs"):
        super().__init__()
        self.cgroup_manager = cgroup_manager  # "systemd" where systemd runs (podman's own default there)
        self.runtime = runtime
        self.storage_driver = storage_driver
        self.extra_global_args = list(extra_global_args)
        self.containers_conf = containers_conf  # podman's CONTAINERS_CONF (default: the host's files)

    def start(self):
        self._mktemp()
        for d in ("root", "runroot", "tmpdir", "volumes", "networks", "home", "xdg"):
            os.mkdir(self.path(d), 0o711)
        os.chmod(self.path("xdg"), 0o700)
        return self

    def global_args(self):
        args = ["--root", self.path("root"), "--runroot", self.path("runroot"),
                "--tmpdir", self.path("tmpdir"), "--volumepath", self.path("volumes"),
                "--network-config-dir", self.path("networks"),
                "--storage-driver", self.storage_driver,
                "--cgroup-manager", self.cgroup_manager, "--events-backend", "file"]
        if self.runtime:
            args += ["--runtime", self.runtime]
        return args + self.extra_global_args

    def env(self):
        env = dict(os.environ)
        # Keep podman away from the invoking user's config and runtime dirs.
        env["HOME"] = self.path("home")
        env["XDG_RUNTIME_DIR"] = self.path("xdg")
        env["XDG_CONFIG_HOME"] = self.path("home", ".config")
        env["XDG_DATA_HOME"] = self.path("home", ".local", "share")
        env.pop("CONTAINERS_CONF", None)
        env.pop("CONTAINERS_STORAGE_CONF", None)
        if self.containers_conf:
            env["CONTAINERS_CONF"] = self.containers_conf
        return env

    def podman(self, *args, check=True, input=None, timeout=120):
        return run_cmd([PODMAN, *self.global_args(), *args], check=check, input=input,
                       timeout=timeout, env=self.env())

    def import_image(self, name=DEFAULT_IMAGE):
        tar = self.path("image.tar")
        if not os.path.exists(tar):
            build_image_tar(tar)
        self.podman("import", "--change", 'CMD ["/bin/sh"]', tar, name, timeout=120)
        return "localhost/" + name if "/" in name and "." not in name.split("/", 1)[0] else name

    def _cleanup_runc(self):
        # Shared root: only containers whose state names our temp dir.
        runc_delete_all(RUNC_DEFAULT_ROOT, log=self._note, only_mentioning=self.tmp)

    def _stop_engine(self):
        if self.tmp and os.path.isdir(self.path("root")):
            self.podman("rm", "-a", "-f", "-t", "0", check=False, timeout=120)
            # The storage's own mounts (overlay home, shm) are unmounted by the generic walk.
