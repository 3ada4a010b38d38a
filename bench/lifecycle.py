#!/usr/bin/python3
"""Side-by-side cost of hardrun against runc, interleaved round by round in one run.

  bench/lifecycle.py [--rounds N] [--hardrun PATH] [--disk]

Measures, for a busybox container whose config carries Docker's default capability set:
  lifecycle  create + start + wait + delete (runc run, detached stdio to /dev/null)
  rewrite    hardrun create's extra work alone: the same create with the real runtime replaced
             by /bin/true (parse, harden, atomic write, audit line; runc excluded)
  state      a pass-through command (`state` of a missing container)
Bundles live on a tmpfs (mounted for the run), as under /run where Docker and containerd keep
theirs on a usual host; --disk puts them on /var/tmp's disk filesystem instead, where the one
fsync of the rewrite costs 1-5 ms. Prints medians and the hardrun/runc ratio. Root only.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
               "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
               "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]


def make_bundle(path, rootfs):
    os.makedirs(path)
    subprocess.run(["runc", "spec", "--bundle", path], check=True)
    with open(os.path.join(path, "config.json")) as f:
        c = json.load(f)
    c["process"].update(terminal=False, args=["true"], noNewPrivileges=False,
                        capabilities={s: DOCKER_CAPS for s in ("bounding", "effective", "permitted")})
    c["root"] = {"path": rootfs, "readonly": True}
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(c, f)
    with open(os.path.join(path, "config.json")) as f:
        return f.read()


def timed(argv):
    t = time.perf_counter()
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--hardrun", default=os.path.join(REPO, "build", "hardrun"))
    ap.add_argument("--disk", action="store_true", help="bundles on /var/tmp's filesystem, not a tmpfs")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/lifecycle.py: run as root")

    work = tempfile.mkdtemp(prefix="hardrun-bench-", dir="/var/tmp")
    if not args.disk:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700", "hardrun-bench", work], check=True)
    where = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "--target", work], capture_output=True,
                           text=True).stdout.strip()
    try:
        rootfs = os.path.join(work, "rootfs")
        subprocess.run(["bash", os.path.join(REPO, "tests", "lib", "mkrootfs.sh"), rootfs], check=True,
                       stdout=subprocess.DEVNULL)
        bundle = os.path.join(work, "bundle")
        original = make_bundle(bundle, rootfs)
        config = os.path.join(bundle, "config.json")
        policy = os.path.join(work, "policy.json")
        shutil.copy(os.path.join(REPO, "profiles", "policy.json"), policy)
        with open(policy) as f:
            p = json.load(f)
        p["audit"] = {"log": os.path.join(work, "audit.log")}
        with open(policy, "w") as f:
            json.dump(p, f)
        state = os.path.join(work, "state")
        # The config as hardrun leaves it: runc on it separates the cost of hardrun itself from
        # the cost of the settings it adds (tmpfs mounts, cgroup namespace, limits ...).
        subprocess.run([args.hardrun, "--hardrun-policy", policy, "--hardrun-runtime", "/bin/true", "create", "-b",
                        bundle, "warmup"], check=True)
        with open(config) as f:
            hardened = f.read()
        times = {k: [] for k in ("runc run", "hardrun run", "runc-hardened run", "runc state", "hardrun state",
                                 "rewrite")}
        for i in range(args.rounds):
            with open(config, "w") as f:
                f.write(hardened)
            times["runc-hardened run"].append(timed(["runc", "--root", state, "run", "-b", bundle, "h%d" % i]))
            for who in (("runc", ["runc"]), ("hardrun", [args.hardrun, "--hardrun-policy", policy])):
                with open(config, "w") as f:
                    f.write(original)  # every round starts from the caller's config
                times[who[0] + " run"].append(timed(who[1] + ["--root", state, "run", "-b", bundle, "b%d" % i]))
                times[who[0] + " state"].append(
                    timed(["sh", "-c", " ".join(who[1]) + " --root %s state nope 2>/dev/null; true" % state]))
            with open(config, "w") as f:
                f.write(original)
            times["rewrite"].append(timed([args.hardrun, "--hardrun-policy", policy, "--hardrun-runtime",
                                           "/bin/true", "create", "-b", bundle, "r%d" % i]))
        med = {k: statistics.median(v) * 1000 for k, v in times.items()}
        true_ms = statistics.median(timed(["/bin/true"]) for _ in range(args.rounds)) * 1000
        print("bundles on %s, %d rounds, medians (ms)" % (where, args.rounds))
        print("%-34s %9s %9s %7s" % ("", "runc", "hardrun", "ratio"))
        for name in ("run", "state"):
            r, h = med["runc " + name], med["hardrun " + name]
            print("%-34s %9.2f %9.2f %7.3f" % (name + " (create+start+wait+delete)" if name == "run" else
                                               name + " (pass-through)", r, h, h / r))
        r, h = med["runc-hardened run"], med["hardrun run"]
        print("%-34s %9.2f %9.2f %7.3f   (runc given hardrun's output config)" % ("run, same hardened config", r, h, h / r))
        print("%-34s %9s %9.2f   (exec of /bin/true alone: %.2f)" % ("rewrite step alone", "", med["rewrite"],
                                                                     true_ms))
    finally:
        subprocess.run(["sh", "-c", "for c in $(runc --root %s list -q 2>/dev/null); do runc --root %s delete -f $c; done"
                        % (os.path.join(work, "state"), os.path.join(work, "state"))])
        if not args.disk:
            subprocess.run(["umount", work])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
