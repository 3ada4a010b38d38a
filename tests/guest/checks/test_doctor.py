"""`hardrun doctor` on a real systemd host says what it has (cgroup v2, AppArmor, the kernel's
idmap support) and passes where hardrun can enforce the shipped default."""
import json
import os

from guestlib import HARDRUN, SRC, guest_only, run


def test_doctor_says_what_this_guest_has():
    guest_only()
    run("bash", os.path.join(SRC, "contrib", "install.sh"), "--user-only")
    r = run(HARDRUN, "doctor", "--json", check=False)
    out = json.loads(r.stdout)
    checks = {c["check"]: c for c in out["checks"]}
    assert r.returncode == 0 and out["result"] == "pass", out
    assert checks["cgroup"]["finding"].startswith("v2") and checks["cgroup"]["status"] == "pass", checks["cgroup"]
    assert checks["apparmor"]["finding"] == "enabled; hardrun-default loaded in enforce mode", checks["apparmor"]
    assert checks["idmapped layers"]["status"] == "pass", checks["idmapped layers"]
    assert checks["subordinate ids"]["status"] == "pass", checks["subordinate ids"]
    assert checks["runtime"]["finding"].endswith(run("runc", "--version").stdout.splitlines()[0])
    # tmpfs is idmappable from Linux 6.3: bookworm's 6.1 warns about /run, trixie's 6.12 passes.
    release = tuple(int(x) for x in os.uname().release.split("-")[0].split(".")[:2])
    assert checks["idmap on /run"]["status"] == ("warn" if release < (6, 3) else "pass"), checks["idmap on /run"]
    assert checks["idmap on /var/lib/docker"]["status"] == "pass", checks.get("idmap on /var/lib/docker")
