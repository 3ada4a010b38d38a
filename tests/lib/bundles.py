"""Real runc bundles and a runtime runner for the integration tests (no engine involved)."""
import hashlib
import json
import os
import subprocess
import tempfile
import uuid

from testenv import REPO

MKROOTFS = os.path.join(REPO, "tests", "lib", "mkrootfs.sh")

# Every capability the kernel knows as of Linux 6.x, as Docker's --privileged lists them
# (CAP_SYS_RESOURCE is left out: root on this VM lacks it in its own bounding set).
ALL_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
            "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
            "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
            "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
            "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG",
            "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
            "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
            "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]


def tree_digest(path):
    """A digest of every file's name, mode and bytes under path (the bundle), rootfs excluded."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d != "rootfs")
        for name in sorted(filenames):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            h.update(p.encode() + b"\0" + str(st.st_mode).encode() + b"\0")
            if os.path.islink(p):
                h.update(os.readlink(p).encode())
            else:
                with open(p, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()


class Bundle:
    def __init__(self, path, rootfs_path):
        self.path = path
        subprocess.run(["runc", "spec", "--bundle", path], check=True)
        self.edit(lambda c: (c["process"].update(terminal=False),
                             c["root"].update(path=rootfs_path, readonly=True)))

    @property
    def config_path(self):
        return os.path.join(self.path, "config.json")

    def config(self):
        with open(self.config_path) as f:
            return json.load(f)

    def edit(self, fn):
        c = self.config()
        fn(c)
        with open(self.config_path, "w") as f:
            json.dump(c, f, indent="\t")

    def set_args(self, *args):
        self.edit(lambda c: c["process"].update(args=list(args)))

    def set_caps(self, names):
        self.edit(lambda c: c["process"].update(capabilities={s: list(names) for s in
                  ("bounding", "effective", "permitted", "inheritable", "ambient")}))

    def join_pod_namespaces(self, pid):
        """Point the network and ipc namespaces at those of process `pid` (a pod's sandbox), as a
        CRI shim writes a pod member's config."""
        def join(c):
            for n in c["linux"]["namespaces"]:
                if n["type"] in ("network", "ipc"):
                    n["path"] = "/proc/%d/ns/%s" % (pid, "net" if n["type"] == "network" else "ipc")
        self.edit(join)

    def bytes(self):
        with open(self.config_path, "rb") as f:
            return f.read()


def run(argv, input=None, timeout=60, cwd=None):
    """Run a command with its output in files, not pipes: a detached container inherits the
    runtime's stdio, and a pipe it holds open would keep us waiting for it to exit."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.run(argv, stdout=out, stderr=err, input=input.encode() if input else None,
                           stdin=None if input else subprocess.DEVNULL, timeout=timeout, cwd=cwd)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(argv, p.returncode, out.read().decode(errors="replace"),
                                           err.read().decode(errors="replace"))


class Runtime:
    """Runs hardrun (or runc, for comparison) with a private --root, and cleans up after."""

    def __init__(self, hardrun_bin, state_root):
        self.hardrun_bin = hardrun_bin
        self.root = state_root
        self.ids = []

    def new_id(self):
        cid = "hardrun-it-" + uuid.uuid4().hex[:12]
        self.ids.append(cid)
        return cid

    def hardrun(self, *args, pre=(), input=None, timeout=60):
        return run([self.hardrun_bin, *pre, "--root", self.root, *args], input=input, timeout=timeout)

    def runc(self, *args, timeout=60):
        return run(["runc", "--root", self.root, *args], timeout=timeout)

    def cleanup(self):
        """Delete through hardrun, as engines do (it also removes hardrun's state of the container:
        its idmapped mounts and slice), then check nothing of it is left."""
        for cid in self.ids:
            subprocess.run([self.hardrun_bin, "--root", self.root, "delete", "--force", cid], capture_output=True)
        leaked = [cid for cid in self.ids if os.path.exists("/run/hardrun/containers/" + cid)]
        assert not leaked, "hardrun state left behind: %s" % leaked
