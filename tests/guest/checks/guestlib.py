"""Helpers and the Docker fixture of the guest checks, which run as root inside a booted Debian guest (tests/guest/run), against the
distribution's own docker.service, containerd.service and podman, with hardrun installed the way
`meson install` puts it (/usr/local). They change the guest (daemon.json, containerd's config,
restarts): never run them on a machine of your own, only in a throwaway guest."""
import json
import os
import subprocess
import time

import pytest

HARDRUN = "/usr/local/sbin/hardrun"
IMAGE = "hardrun-test/busybox:latest"
CRI_IMAGE = "docker.io/hardrun-test/busybox:latest"
PAUSE_IMAGE = "docker.io/hardrun-test/pause:latest"
IN = "/mnt/hardrun/in"
SRC = os.environ.get("HARDRUN_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))
GiB = 1 << 30
# profiles/policy.json, the shipped default.
ALLOW = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID",
         "CAP_NET_BIND_SERVICE", "CAP_KILL"]
PIDS_DEFAULT, PIDS_MAX = 1024, 4096
MEMORY_DEFAULT, MEMORY_MAX = GiB, 16 * GiB


def guest_only():
    if not os.path.exists("/etc/systemd/system/hardrun-guest.service"):
        pytest.fail("guest checks run only inside a host-matrix guest (tests/guest/run)")


def run(*argv, check=True, timeout=300, input=None, cwd=None):
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, input=input, cwd=cwd)
    if check and r.returncode != 0:
        raise AssertionError("%s: exit %d\nstdout: %s\nstderr: %s" % (" ".join(argv), r.returncode,
                                                                      r.stdout[-3000:], r.stderr[-3000:]))
    return r


def cap_names(hexmask):
    """Capability names of a /proc/PID/status mask, by libcap-ng's own names (capsh is absent)."""
    import ctypes
    import ctypes.util
    lib = ctypes.CDLL(ctypes.util.find_library("cap-ng"))
    lib.capng_capability_to_name.restype = ctypes.c_char_p
    mask = int(hexmask, 16)
    return sorted("CAP_" + lib.capng_capability_to_name(bit).decode().upper()
                  for bit in range(64) if mask >> bit & 1)


def proc_status(text):
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def wait_for(what, probe, timeout=120):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(1)
    raise AssertionError("timed out after %ds waiting for %s" % (timeout, what))


def docker_ok():
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def reload_docker(runtime, present=True):
    """Have dockerd reread daemon.json's runtimes (SIGHUP, docker.service's ExecReload: a reload
    keeps the daemon and its containers; a restart takes 20-30 s under TCG), then wait until
    `runtime` is, or is no longer, one of its runtimes."""
    run("systemctl", "reload", "docker.service")

    def seen():
        r = subprocess.run(["docker", "info", "--format", "{{json .Runtimes}}"], capture_output=True, text=True)
        return r.returncode == 0 and (runtime in json.loads(r.stdout)) == present
    wait_for("dockerd to %s runtime %s" % ("know" if present else "forget", runtime), seen, 60)


def restart_docker():
    """Restart docker.service for a changed daemon.json. The tests restart it more often than
    systemd's start limit (3 in 60 s) allows a unit; reset-failed clears the count."""
    run("systemctl", "reset-failed", "docker.service", check=False)
    run("systemctl", "restart", "docker.service")
    wait_for("docker.service after restart", docker_ok)


@pytest.fixture(scope="session")
def docker():
    """The distribution's docker.service, with hardrun registered by `hardrun setup docker`."""
    guest_only()
    # As README's Docker section says: the hardrun user's subordinate ids (and, on AppArmor hosts,
    # hardrun-default) once per host, then the runtime in daemon.json.
    run("bash", os.path.join(SRC, "contrib", "install.sh"), "--user-only")
    r = run(HARDRUN, "setup", "docker")
    restart_docker()
    runtimes = json.loads(run("docker", "info", "--format", "{{json .Runtimes}}").stdout)
    assert "hardrun" in runtimes, (r.stdout, r.stderr, runtimes)
    if run("docker", "image", "inspect", IMAGE, check=False).returncode != 0:
        run("docker", "import", os.path.join(IN, "busybox.tar"), IMAGE)
    yield Docker()
    run("sh", "-c", "docker rm -f $(docker ps -aq) 2>/dev/null; true")


class Docker:
    def __call__(self, *args, check=True, timeout=300):
        return run("docker", *args, check=check, timeout=timeout)

    def start(self, *flags, runtime="hardrun", args=("sleep", "3600")):
        """A detached container; its id. A refusal fails with hardrun's message."""
        r = self("run", "-d", "--network", "none", "--runtime=" + runtime, *flags, IMAGE, *args, check=False)
        assert r.returncode == 0, "docker run --runtime=%s %s refused: %s" % (runtime, " ".join(flags),
                                                                                r.stderr.strip())
        return r.stdout.strip()

    def run_sh(self, script, *flags, runtime="hardrun"):
        r = self("run", "--rm", "--network", "none", "--runtime=" + runtime, *flags, IMAGE, "sh", "-c", script,
                 check=False)
        assert r.returncode == 0, "docker run --runtime=%s %s refused or failed: %s" % (
            runtime, " ".join(flags), r.stderr.strip())
        return r.stdout

    def pid(self, cid):
        return int(self("inspect", "-f", "{{.State.Pid}}", cid).stdout)

    def scope(self, cid):
        """The container's cgroup under Docker's systemd driver: system.slice/docker-ID.scope."""
        full = self("inspect", "-f", "{{.Id}}", cid).stdout.strip()
        return "/sys/fs/cgroup/system.slice/docker-%s.scope" % full


def read(path):
    with open(path) as f:
        return f.read().strip()
