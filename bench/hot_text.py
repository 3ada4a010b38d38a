#!/usr/bin/python3
"""Writes src/hot-text.ld: the functions hardrun runs on its common calls, listed for the linker
to lay out side by side at the head of the text (root only; needs valgrind, gcc, runc and the
hardrun user of `contrib/install.sh --user-only`, as bench/run does).

  bench/hot_text.py [--build DIR] [--out FILE]

Why: each call of hardrun is a new process, and every 64 KiB stretch of its 1.9 MB text that a
call touches costs a page fault (the kernel maps a fault's neighbours with it). Left where the
linker puts them, the code of a pass-through call (start, state, kill) is spread over 15 such
stretches; laid out together, it fits in 2. A stale list costs only that speed: a function it no
longer names is laid out where the linker would have put it anyway, and the linker ignores a name
that no longer exists.

How: callgrind profiles hardrun (DIR/hardrun, built with -ffunction-sections as the release build
is) on a pass-through call (its policy's runtime read from the record an earlier call left), a
create with the audit profile, a create with the full policy and the delete of a container the
full policy made with its user namespace, the runtime replaced by /bin/true and its exec by
exit(0) (bench/noexec.c), so each profile ends at the hand-over. The full policy's create is
profiled with its user namespace only audited: valgrind cannot run the helper that carries a
container's user namespace (a clone sharing hardrun's memory, which it refuses and exits on), so
that container is created unprofiled and only its delete is profiled; the user namespace's own
functions of the create are laid out where the linker puts them. The functions that ran in hardrun's own image are written
in that order (pass-through first), each as the input section -ffunction-sections gives it; a C
archive built without that option (yajl, libcap-ng, libseccomp) contributes the text of each
member that holds one of them. A create compiles its seccomp filter only when the verdict cache
under /run/hardrun has none for the profile: the list holds that path only if the first run of
this script on the host made it (it is not the path of repeated creates).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
C_ARCHIVES = ("libyajl_s.a", "libcap-ng.a", "libseccomp.a", "libc_nonshared.a")
# Run by every call, but not seen as hardrun's functions by this profile: the C runtime's start
# code (crt1.o, one section), GCC's crtbegin code (one section: frame_dummy runs from
# .init_array in every process; left where the linker put it, it cost each call a fault on a
# 64 KiB stretch of text outside the hot ones), and SHA-256's compression with the x86 SHA instructions, which the CPU
# valgrind emulates lacks (the policy runtime record's name is a SHA-256).
ALWAYS = ["*crt1.o(.text)", "*crtbegin*.o(.text)", "*(.text.*compress_sha_ni*)"]


def profile_functions(path, image):
    """Names (mangled) of the functions of `image` that a callgrind profile saw run, in file order."""
    objects, functions, seen, out = {}, {}, set(), []
    current_ob = call_ob = None

    def resolve(table, value):
        m = re.match(r"\((\d+)\)(?: (.*))?$", value)
        if not m:
            return value
        if m.group(2) is not None:
            table[m.group(1)] = m.group(2)
        return table[m.group(1)]

    for line in open(path):
        key, _, value = line.rstrip("\n").partition("=")
        if key == "ob":
            current_ob = resolve(objects, value)
        elif key == "cob":
            call_ob = resolve(objects, value)
        elif key in ("fn", "cfn"):
            name = resolve(functions, value)
            ob = current_ob if key == "fn" or call_ob is None else call_ob
            call_ob = None
            if ob == image and name not in seen and re.match(r"[A-Za-z_][\w.$]*$", name) and not name.endswith(".cold"):
                seen.add(name)
                out.append(name)
    return out


def c_archive_members(names):
    """archive:member of each C archive member (text not split per function) that defines one of names."""
    wanted, members = set(names), []
    for archive in C_ARCHIVES:
        path = subprocess.run(["gcc", "-print-file-name=" + archive], capture_output=True, text=True).stdout.strip()
        if not os.path.isabs(path) or not os.path.exists(path):
            continue
        nm = subprocess.run(["nm", "-A", "--defined-only", path], capture_output=True, text=True, check=True).stdout
        for line in nm.splitlines():
            # /usr/lib/x86_64-linux-gnu/libyajl_s.a:yajl_lex.c.o:0000000000000000 T yajl_lex_lex
            m = re.match(r".*/([^/:]+):([^:]+):\s*[0-9a-f]* [TtWw] (\S+)$", line)
            if m and m.group(3) in wanted and (m.group(1), m.group(2)) not in members:
                members.append((m.group(1), m.group(2)))
    return members


def section_names(name):
    """The -ffunction-sections names a function's code may be in. GCC emits a complete-object
    constructor or destructor (C1, D1: the name callgrind reports) as an alias in the section of
    the base-object one (C2, D2) when the two are the same code, so both spellings are listed; a
    name that matches no section costs nothing."""
    names = [name]
    alias = re.sub(r"([CD])1([EI])", r"\g<1>2\2", name, count=1)
    if alias != name:
        names.append(alias)
    return names


def write_script(groups, out):
    """groups: for each profiled call, the C archive members and the functions it added."""
    lines = [
        "/* Generated by bench/hot_text.py from callgrind profiles of hardrun's common calls: the functions",
        "   they run, placed first in .text (src/link_script.py splices this list into the linker's default",
        "   script) so that a call faults in a few 64 KiB stretches of text instead of one per function.",
        "   Regenerate after changes to what those calls run; a stale list only costs speed. */",
    ]
    for label, members, names in groups:
        lines.append("    /* %s */" % label)
        if label == groups[0][0]:
            lines += ["    " + pattern for pattern in ALWAYS]
        # A C member's constructors are in its .text.startup (libcap-ng's init_lib, run by every
        # call): without it, that function too was left outside the hot stretches of text.
        for archive, member in members:
            lines.append("    *%s:%s(.text .text.startup)" % (archive, member))
        for name in names:
            lines.append("    *(%s)" % " ".join("%s.%s" % (prefix, section)
                                               for section in section_names(name)
                                               for prefix in (".text", ".text.startup", ".text.hot")))
    lines.append("")
    with open(out, "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--out", default=os.path.join(REPO, "src", "hot-text.ld"))
    args = ap.parse_args()
    hardrun = os.path.realpath(os.path.join(args.build, "hardrun"))
    for tool in ("valgrind", "gcc", "runc", "nm"):
        if not shutil.which(tool):
            sys.exit("hot_text.py needs %s" % tool)

    work = tempfile.mkdtemp(prefix="hardrun-hot-", dir="/var/tmp")
    conf = tempfile.mkdtemp(prefix="hardrun-hot-conf-", dir="/var/tmp")
    state = os.path.join(work, "state")
    true = shutil.which("true")
    noexec = os.path.join(conf, "noexec.so")
    created = []
    try:
        subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", noexec, os.path.join(REPO, "bench", "noexec.c"), "-ldl"],
                       check=True)
        rootfs = os.path.join(work, "rootfs")
        subprocess.run(["bash", os.path.join(REPO, "tests", "lib", "mkrootfs.sh"), rootfs], check=True,
                       stdout=subprocess.DEVNULL)
        policies = {}
        for name in ("audit", "policy", "policy-userns-audited"):
            p = json.load(open(os.path.join(REPO, "profiles", name.split("-")[0] + ".json")))
            p["audit"] = {"log": os.path.join(conf, "audit.log")}
            if name == "policy-userns-audited":
                p["userNamespace"]["mode"] = "audit"
            policies[name] = os.path.join(conf, name + ".json")
            json.dump(p, open(policies[name], "w"))
        bundle = os.path.join(work, "bundle")
        os.makedirs(bundle)
        subprocess.run(["runc", "spec", "--bundle", bundle], check=True)
        config = os.path.join(bundle, "config.json")
        c = json.load(open(config))
        c["process"].update(terminal=False, args=["true"])
        c["root"] = {"path": rootfs, "readonly": False}
        c["linux"]["seccomp"] = json.load(open(os.path.join(REPO, "tests", "fixtures", "docker-20.10-default.json")))["linux"]["seccomp"]
        original = json.dumps(c)

        def hardrun_call(policy, *argv):
            return [hardrun, "--hardrun-policy", policies[policy], "--hardrun-runtime", true, "--root", state] + list(argv)

        calls = [
            ("pass-through", hardrun_call("audit", "start", "x")),
            ("create-audit", hardrun_call("audit", "create", "-b", bundle, "hot-audit")),
            ("create-full", hardrun_call("policy-userns-audited", "create", "-b", bundle, "hot-full")),
            ("delete-full", hardrun_call("policy", "delete", "hot-full-userns")),
        ]
        env = dict(os.environ, HARDRUN_BENCH_NOEXEC=true)
        # A pass-through call reads the policy's runtime from its record once the policy file has
        # settled (src/policy/runtime_record.hpp): profile that, the path nearly every call takes.
        time.sleep(2.5)
        subprocess.run(calls[0][1], env=dict(env, LD_PRELOAD=noexec), check=True)
        names, members, groups = [], [], []
        for label, argv in calls:
            open(config, "w").write(original)
            if "create" in argv:
                created.append(argv[-1])
            if label == "delete-full":
                created.append("hot-full-userns")
                subprocess.run(hardrun_call("policy", "create", "-b", bundle, "hot-full-userns"),
                               env=dict(env, LD_PRELOAD=noexec), check=True)
            out = os.path.join(conf, "callgrind." + label)
            # valgrind itself runs with the stub preloaded: only the runtime's exec is stopped.
            subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", "--callgrind-out-file=" + out, "-q"] + argv,
                           env=dict(env, LD_PRELOAD=noexec), check=True, stdout=subprocess.DEVNULL)
            found = [n for n in profile_functions(out, hardrun) if n not in names]
            found_members = [m for m in c_archive_members(found) if m not in members]
            totals = [l.split()[1] for l in open(out) if l.startswith(("totals:", "summary:"))]
            print("%-13s %4d functions, %2d C archive members, %s instructions" %
                  (label, len(found), len(found_members), totals[0] if totals else "?"))
            names += found
            members += found_members
            groups.append((label, found_members, found))
        write_script(groups, args.out)
        print("wrote %s: %d functions, %d C archive members" % (args.out, len(names), len(members)))
    finally:
        for cid in created:
            subprocess.run(hardrun_call("policy", "delete", cid), stderr=subprocess.DEVNULL)
        subprocess.run([hardrun, "gc"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(conf, ignore_errors=True)


if __name__ == "__main__":
    main()
