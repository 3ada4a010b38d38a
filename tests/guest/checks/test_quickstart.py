"""The README's quick start exactly as written (scripts/quickstart.sh), on the host it is written
for: "a fresh Debian 12 machine". It ends with a container through hardrun whose root is a host uid
above 65535. The build it does is the host's build-release (tests/guest/run), up to date here."""
import os
import re

from guestlib import SRC, guest_only, run


def debian_major():
    with open("/etc/os-release") as f:
        return dict(l.rstrip("\n").split("=", 1) for l in f if "=" in l).get("VERSION_ID", "").strip('"')


# The quick start names its host: defined (not skipped) only where it claims to work.
if debian_major() == "12":
    def test_quickstart_as_written():
        guest_only()
        r = run("bash", os.path.join(SRC, "scripts", "quickstart.sh"), check=False, timeout=900, cwd=SRC)
        out = r.stdout + r.stderr
        assert r.returncode == 0, "quickstart.sh exit %d:\n%s" % (r.returncode, out[-4000:])
        through = out.split("== the same container through hardrun:", 1)[1]
        m = re.search(r"uid_map: 0 (\d+) \d+", through)
        assert m and int(m.group(1)) > 65535, through[:2000]
