#!/usr/bin/python3
"""1000 create/start/delete cycles through hardrun with the user namespace on an overlay rootfs
(root only); fails if any cycle fails or if a mount or state directory is left under
/run/hardrun afterwards. Too long for every CI run (about two minutes); run it by hand:

    tests/stress/userns_cycles.py [--hardrun build-ci/hardrun] [--cycles 1000]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
from daemons import mounts_under  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hardrun", default=os.path.join(REPO, "build-ci", "hardrun"))
    ap.add_argument("--cycles", type=int, default=1000)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="hardrun-cycles-", dir="/run")
    state = os.path.join(work, "state")
    merged = os.path.join(work, "merged")
    try:
        subprocess.run(["bash", os.path.join(REPO, "tests", "lib", "mkrootfs.sh"), work + "/lower"], check=True,
                       stdout=subprocess.DEVNULL)
        for d in ("upper", "work", "merged", "bundle"):
            os.makedirs(os.path.join(work, d))
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        f"lowerdir={work}/lower,upperdir={work}/upper,workdir={work}/work", merged], check=True)
        bundle = os.path.join(work, "bundle")
        subprocess.run(["runc", "spec", "--bundle", bundle], check=True)
        c = json.load(open(bundle + "/config.json"))
        c["process"].update(terminal=False, args=["true"])
        c["root"] = {"path": merged, "readonly": True}
        original = json.dumps(c)
        before = len(mounts_under("/run/hardrun/"))
        started = time.monotonic()
        for i in range(args.cycles):
            open(bundle + "/config.json", "w").write(original)
            cid = "cycle-%d" % i
            for argv in (["create", "--bundle", bundle, cid], ["start", cid]):
                subprocess.run([args.hardrun, "--root", state, *argv], check=True, stdin=subprocess.DEVNULL)
            while json.loads(subprocess.run(["runc", "--root", state, "state", cid], capture_output=True,
                                            text=True).stdout)["status"] != "stopped":
                time.sleep(0.005)
            subprocess.run([args.hardrun, "--root", state, "delete", cid], check=True)
        left = len(mounts_under("/run/hardrun/")) - before
        dirs = [d for d in os.listdir("/run/hardrun/containers") if d.startswith("cycle-")]
        print("%d cycles in %.0f s; mounts left under /run/hardrun: %d; state dirs left: %d"
              % (args.cycles, time.monotonic() - started, left, len(dirs)))
        return 0 if left == 0 and not dirs else 1
    finally:
        subprocess.run(["umount", merged], stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
