#!/usr/bin/python3
"""Seccomp cost, measured side by side in one run (root only):

  bench/seccomp.py [--rounds N] [--calls N] [--hardrun PATH] [--json]

- ns per syscall: a static getppid loop inside a runc container with no filter, Docker's
  default profile (captured from Docker 20.10, tests/fixtures) and hardrun's default, runs
  interleaved; medians, and the number of syscall names each filter allows.
- per create: hardrun's create step (--hardrun-runtime /bin/true) with the seccomp control in
  enforce mode against audit mode: what rendering and compiling the filter costs.
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


def allowed_names(seccomp):
    if not seccomp:
        return "all"
    return len({n for r in seccomp["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" for n in r["names"]})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--calls", type=int, default=2000000)
    ap.add_argument("--hardrun", default=os.path.join(REPO, "build", "hardrun"))
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (bench/run reads them)")
    args = ap.parse_args()
    result = {"filters": {}}
    if os.geteuid() != 0:
        sys.exit("bench/seccomp.py: run as root")
    work = tempfile.mkdtemp(prefix="hardrun-bench-seccomp-", dir="/var/tmp")
    state = os.path.join(work, "state")
    try:
        rootfs = os.path.join(work, "rootfs")
        subprocess.run(["bash", os.path.join(REPO, "tests", "lib", "mkrootfs.sh"), rootfs], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["gcc", "-O2", "-static", "-o", os.path.join(rootfs, "getppid"),
                        os.path.join(REPO, "bench", "getppid.c")], check=True)
        docker = json.load(open(os.path.join(REPO, "tests", "fixtures", "docker-20.10-default.json")))
        # hardrun's default, as it renders it for a Docker container.
        probe = os.path.join(work, "probe")
        os.makedirs(probe)
        shutil.copy(os.path.join(REPO, "tests", "fixtures", "docker-20.10-default.json"), os.path.join(probe, "config.json"))
        c = json.load(open(os.path.join(probe, "config.json")))
        del c["linux"]["seccomp"]
        # Docker's libnetwork hook names the capture run's dockerd (/proc/PID/exe): the hooks
        # control rightly refuses it here, and this measures seccomp.
        c.pop("hooks", None)
        json.dump(c, open(os.path.join(probe, "config.json"), "w"))
        # The user-namespace control in audit mode throughout: this measures seccomp, and a
        # create through /bin/true keeps no container whose delete would remove its state.
        policy = os.path.join(work, "policy.json")
        audit = os.path.join(work, "policy-audit.json")
        p = json.load(open(os.path.join(REPO, "profiles", "policy.json")))
        p["audit"] = {"log": os.path.join(work, "audit.log")}
        p["userNamespace"] = {"mode": "audit"}
        json.dump(p, open(policy, "w"))
        subprocess.run([args.hardrun, "--hardrun-policy", policy, "--hardrun-runtime", "/bin/true", "create", "-b",
                        probe, "probe"], check=True)
        hardened = json.load(open(os.path.join(probe, "config.json")))["linux"]["seccomp"]
        filters = {"no filter": None, "Docker's default": docker["linux"]["seccomp"], "hardrun's default": hardened}

        bundles = {}
        for name, seccomp in filters.items():
            b = os.path.join(work, name.replace(" ", "-").replace("'", ""))
            os.makedirs(b)
            subprocess.run(["runc", "spec", "--bundle", b], check=True)
            cfg = json.load(open(os.path.join(b, "config.json")))
            cfg["process"].update(terminal=False, args=["/getppid", str(args.calls)])
            cfg["root"] = {"path": rootfs, "readonly": True}
            if seccomp:
                cfg["linux"]["seccomp"] = seccomp
            json.dump(cfg, open(os.path.join(b, "config.json"), "w"))
            bundles[name] = b
        ns = {name: [] for name in filters}
        for i in range(args.rounds):
            for name, b in bundles.items():
                out = subprocess.run(["runc", "--root", state, "run", "-b", b, "s%d" % i], check=True,
                                     capture_output=True, text=True).stdout
                ns[name].append(float(out))
        for name in filters:
            result["filters"][name] = {"ns": statistics.median(ns[name]), "allowed": allowed_names(filters[name])}

        # Cost of rendering + compiling the filter in hardrun's create step.
        p["seccomp"]["mode"] = "audit"
        json.dump(p, open(audit, "w"))
        original = json.dumps(c)
        times = {"enforce": [], "audit": []}
        for _ in range(args.rounds * 4):
            for mode, pol in (("enforce", policy), ("audit", audit)):
                with open(os.path.join(probe, "config.json"), "w") as f:
                    f.write(original)
                t = time.perf_counter()
                subprocess.run([args.hardrun, "--hardrun-policy", pol, "--hardrun-runtime", "/bin/true", "create",
                                "-b", probe, "probe"], check=True)
                times[mode].append(time.perf_counter() - t)
        e, a = statistics.median(times["enforce"]) * 1000, statistics.median(times["audit"]) * 1000
        result["create_cost_ms"] = e - a
        if args.json:
            print(json.dumps(result))
            return
        print("getppid, %d calls x %d rounds, median ns per call" % (args.calls, args.rounds))
        base = result["filters"]["no filter"]["ns"]
        for name, row in result["filters"].items():
            print("  %-18s %8.2f ns  (%+.2f ns vs no filter)  allowed syscall names: %s" %
                  (name, row["ns"], row["ns"] - base, row["allowed"]))
        print("hardrun create step, median: seccomp enforced %.3f ms, seccomp audit-only %.3f ms: "
              "rendering and compiling the filter costs %.3f ms" % (e, a, e - a))
    finally:
        subprocess.run(["sh", "-c", "for c in $(runc --root %s list -q 2>/dev/null); do runc --root %s delete -f $c; done"
                        % (state, state)])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
