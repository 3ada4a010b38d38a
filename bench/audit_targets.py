#!/usr/bin/python3
"""bench/run's audit section, run by it in a private mount namespace (unshare -m): hardrun's create
(the audit profile, which changes nothing but sends its event; runtime /bin/true) with each
audit.target, interleaved round by round, each against /bin/true's own spawn.

Where the host has a listening journald or syslog daemon, the real one takes the events. Where it
has none (this is the case on a host without systemd), a datagram socket is bound where hardrun
sends (/run/systemd/journal/socket, /dev/log: covered by tmpfs in this namespace only) and a
thread drains it as a daemon would; the events counted there must be every event sent.

usage: audit_targets.py JSON   (JSON: {"hardrun", "bundle", "config", "policies": {target: path},
                                      "rounds"}); prints {target: ms, "receiver": ...} as JSON"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def listening(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def receiver(path, counts, key):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(path)

    def drain():
        while True:
            s.recv(1 << 20)
            counts[key] += 1
    threading.Thread(target=drain, daemon=True).start()


def main():
    a = json.loads(sys.argv[1])
    counts = {"journal": 0, "syslog": 0}
    own = []
    if not listening("/run/systemd/journal/socket"):
        os.makedirs("/run/systemd", exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "bench-journal", "/run/systemd"], check=True)
        os.makedirs("/run/systemd/journal")
        receiver("/run/systemd/journal/socket", counts, "journal")
        own.append("journal")
    if not listening("/dev/log"):
        # /dev is devtmpfs, shared with the host: cover it, keeping /dev/null for the children.
        keep = tempfile.mkdtemp()
        open(os.path.join(keep, "null"), "w").close()
        subprocess.run(["mount", "--bind", "/dev/null", os.path.join(keep, "null")], check=True)
        subprocess.run(["mount", "-t", "tmpfs", "bench-devlog", "/dev"], check=True)
        open("/dev/null", "w").close()
        subprocess.run(["mount", "--bind", os.path.join(keep, "null"), "/dev/null"], check=True)
        receiver("/dev/log", counts, "syslog")
        own.append("syslog")
    targets = list(a["policies"])
    times = {t: [] for t in ["true"] + targets}
    for i in range(a["rounds"]):
        order = targets[i % len(targets):] + targets[:i % len(targets)]
        for t in ["true"] + order:
            argv = ["/bin/true"] if t == "true" else [a["hardrun"], "--hardrun-policy", a["policies"][t],
                                                      "--hardrun-runtime", "/bin/true", "create", "-b", a["bundle"], "x"]
            open(a["config"], "w").write(a["text"])
            start = time.perf_counter()
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            times[t].append(time.perf_counter() - start)
            if p.returncode != 0 or b"warning" in p.stderr:
                sys.exit("audit target %s: %s" % (t, p.stderr.decode()))
    time.sleep(0.2)  # the drain threads catch up
    for key in own:
        if counts[key] != a["rounds"]:
            sys.exit("the %s receiver got %d events of %d" % (key, counts[key], a["rounds"]))
    base = statistics.median(times["true"])
    out = {t: (statistics.median(xs) - base) * 1000 for t, xs in times.items() if t != "true"}
    out["receiver"] = {t: ("bench socket" if t in own else "the host's daemon") for t in ("journal", "syslog")}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
