"""User-namespace remapping with real engines: Docker's overlay2 rootfs, volumes and its own
per-container files shown through idmapped mounts; containerd and podman too."""
import os
import time

import pytest

import daemons
from daemons import mounts_under
from testenv import hardrun_slices

IMAGE = daemons.DEFAULT_IMAGE
STATE = "/run/hardrun/containers"


@pytest.fixture(scope="module")
def docker(require_root, hardrun_bin):
    with daemons.PrivateDockerd({"hardrun": {"path": hardrun_bin}}, default_runtime="hardrun") as d:
        d.import_image()
        # An image with files owned by uid 1000, made the way users make one (commit), under
        # plain runc.
        d.docker("run", "--name", "mkimage", "--runtime=runc", "--network=none", IMAGE, "sh", "-c",
                 "mkdir -p /home/u && echo mine > /home/u/f && chown -R 1000:1000 /home/u")
        d.docker("commit", "mkimage", "hardrun-test/owned:latest")
        d.docker("rm", "mkimage")
        yield d


def container_id(d, name):
    return d.docker("inspect", "-f", "{{.Id}}", name).stdout.strip()


def test_root_is_remapped_and_image_ownership_shows(docker):
    r = docker.docker("run", "--rm", "--network=none", "hardrun-test/owned:latest", "sh", "-c",
                      "id -u; cat /proc/self/uid_map; stat -c '%u:%g' /bin/busybox /home/u /home/u/f; "
                      "cat /home/u/f; touch /etc/x 2>&1 || true; echo ok > /dev/shm/x && cat /dev/shm/x")
    lines = r.stdout.splitlines()
    assert lines[0] == "0"
    inside, outside, size = map(int, lines[1].split())
    assert inside == 0 and size == 65536 and outside in hardrun_slices()
    assert lines[2:6] == ["0:0", "1000:1000", "1000:1000", "mine"]
    assert "Read-only file system" in lines[6]
    assert lines[7] == "ok"


def test_volume_files_keep_their_in_container_owner(docker, tmp_path):
    vol = tmp_path / "vol"
    vol.mkdir()
    docker.docker("run", "--rm", "--network=none", "-v", f"{vol}:/data", IMAGE, "sh", "-c",
                  "echo r > /data/by-root; mkdir /data/u; echo u > /data/u/f; chown -R 1000:1000 /data/u")
    assert os.stat(vol / "by-root").st_uid == 0 and os.stat(vol / "by-root").st_gid == 0
    assert os.stat(vol / "u" / "f").st_uid == 1000
    # A named volume, from Docker's own data root.
    docker.docker("volume", "create", "named")
    docker.docker("run", "--rm", "--network=none", "-v", "named:/data", IMAGE, "sh", "-c", "echo x > /data/f")
    path = docker.docker("volume", "inspect", "-f", "{{.Mountpoint}}", "named").stdout.strip()
    assert os.stat(os.path.join(path, "f")).st_uid == 0


def test_lifecycle_exec_and_distinct_slices(docker):
    names = ["userns-a", "userns-b"]
    for n in names:
        docker.docker("run", "-d", "--name", n, "--network=none", "--ipc=shareable", IMAGE, "sleep", "300")
    try:
        ids = [container_id(docker, n) for n in names]
        maps = [docker.docker("exec", n, "cat", "/proc/self/uid_map").stdout.split() for n in names]
        assert maps[0][1] != maps[1][1] and {int(m[1]) for m in maps} <= hardrun_slices()
        assert all(os.path.isdir(f"{STATE}/{i}") for i in ids)
        # exec with a terminal; the exec'd process is in the container's user namespace
        r = docker.docker("exec", "-t", names[0], "sh", "-c", "id -u; tty")
        assert r.stdout.split()[0] == "0" and r.stdout.split()[1].startswith("/dev/pts/")
        # stop, start (a new create: a fresh state and slice), restart
        docker.docker("stop", "-t", "1", names[0])
        assert not os.path.exists(f"{STATE}/{ids[0]}") and mounts_under(f"{STATE}/{ids[0]}") == []
        docker.docker("start", names[0])
        assert docker.docker("exec", names[0], "id", "-u").stdout.strip() == "0"
        docker.docker("restart", "-t", "1", names[0])
        assert docker.docker("exec", names[0], "cat", "/proc/self/uid_map").stdout.split()[1] in \
            {str(s) for s in hardrun_slices()}
    finally:
        docker.docker("rm", "-f", *names, check=False)
    time.sleep(0.5)
    assert not any(os.path.exists(f"{STATE}/{i}") for i in ids)
    assert not any(mounts_under(f"{STATE}/{i}") for i in ids)


def test_many_runs_leave_no_mounts(docker):
    before = len(mounts_under("/run/hardrun/"))
    for _ in range(10):
        docker.docker("run", "--rm", "--network=none", IMAGE, "true")
    assert len(mounts_under("/run/hardrun/")) == before


def test_containerd_ctr_run(require_root, hardrun_bin, containerd):
    r = containerd.ctr("run", "--rm", *containerd.run_args(hardrun_bin), containerd.image, "userns-ctr",
                       "sh", "-c", "id -u; cat /proc/self/uid_map")
    lines = r.stdout.splitlines()
    assert lines[0] == "0" and int(lines[1].split()[1]) in hardrun_slices()
    assert not os.path.exists(f"{STATE}/userns-ctr")


# podman's default RLIMIT_NOFILE/NPROC exceed this VM's hard limits (root lacks
# CAP_SYS_RESOURCE here), with or without hardrun.
PODMAN_ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def test_podman_run(podman):
    r = podman.podman("run", "--rm", "--network=none", *PODMAN_ULIMITS, podman.image, "sh", "-c", "id -u; cat /proc/self/uid_map")
    lines = r.stdout.splitlines()
    assert lines[0] == "0" and int(lines[1].split()[1]) in hardrun_slices()
