#!/usr/bin/python3
"""Part of the quick start: a private dockerd (own data-root, exec-root, socket, containerd,
all under a temp dir, removed afterwards) with hardrun registered exactly as in
contrib/docker/daemon.json, and the same `docker run`s through runc and through hardrun."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
import daemons  # noqa: E402

PROBE = ("grep -E '^CapBnd|NoNewPrivs' /proc/self/status; "
         "echo \"pids.max: $(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)\"; "
         "touch /probe 2>/dev/null && echo 'root filesystem: writable' || echo 'root filesystem: read-only'; "
         "echo \"root is host uid: $(awk '$1 == 0 { print $2 }' /proc/self/uid_map)\"; "
         "echo \"host disks visible: $(ls /dev | grep -cE '^(vd|sd|nvme)')\"")

hardrun = sys.argv[1] if len(sys.argv) > 1 else "/usr/local/sbin/hardrun"
with daemons.PrivateDockerd({"hardrun": {"path": hardrun}}) as d:
    image = d.import_image("busybox-demo:latest")
    # (runc alone cannot even start --privileged on hosts whose root lacks a capability, as on
    # the development VM; hardrun drops it.)
    for runtime, flags in (("runc", ["--cap-add", "SYS_ADMIN"]), ("hardrun", ["--cap-add", "SYS_ADMIN"]),
                           ("hardrun", ["--privileged"])):
        print("$ docker run --runtime=%s %s busybox-demo sh -c '<probe>'" % (runtime, " ".join(flags)))
        r = d.docker("run", "--rm", "--network", "none", "--runtime=" + runtime, *flags, image, "sh", "-c", PROBE,
                     check=False)
        print(r.stdout + r.stderr, end="")
    print("$ docker run --runtime=hardrun -v /var/run/docker.sock:/s busybox-demo true")
    r = d.docker("run", "--rm", "--network", "none", "--runtime=hardrun", "-v", "/var/run/docker.sock:/s", image,
                 "true", check=False)
    print(r.stderr.strip())
