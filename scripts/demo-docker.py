#!/usr/bin/python3
"""Part of the quick start: a private dockerd (own data-root, exec-root, socket, containerd,
all under a temp dir, removed afterwards) with hardrun registered exactly as in
contrib/docker/daemon.json, and `docker run --privileged` through it."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
import daemons  # noqa: E402

hardrun = sys.argv[1] if len(sys.argv) > 1 else "/usr/local/sbin/hardrun"
with daemons.PrivateDockerd({"hardrun": {"path": hardrun}}) as d:
    image = d.import_image("busybox-demo:latest")
    for runtime in ("runc", "hardrun"):
        cmd = ["run", "--rm", "--network", "none", "--runtime=" + runtime, "--cap-add", "SYS_ADMIN", image,
               "grep", "-E", "^Cap|NoNewPrivs", "/proc/self/status"]
        print("$ docker " + " ".join(cmd))
        r = d.docker(*cmd, check=False)
        print(r.stdout + r.stderr, end="")
