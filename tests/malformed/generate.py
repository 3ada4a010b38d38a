#!/usr/bin/python3
"""Writes the malformed-config corpus next to this script (run it again after changing it; the
files are committed). Every file must make `hardrun create` fail with a clear message and leave
the bundle byte-identical (tests/integration/test_malformed.py). Huge inputs (over the 16 MiB
cap, a million array items) are made by the test itself rather than stored."""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = json.load(open(os.path.join(HERE, "..", "fixtures", "docker-20.10-default.json")))


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def with_value(path, value):
    c = copy.deepcopy(BASE)
    node = c
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(c)


def main():
    for old in os.listdir(HERE):
        if old.endswith(".json"):
            os.unlink(os.path.join(HERE, old))
    text = json.dumps(BASE)
    # Truncated documents.
    for n, cut in enumerate((1, 17, len(text) // 3, len(text) // 2, len(text) - 2)):
        write("truncated-%d.json" % n, text[:cut])
    # Wrong types at every field hardrun reads.
    wrong = {
        "process": [], "process.capabilities": "all", "process.capabilities.bounding": {"a": 1},
        "process.capabilities.effective": 5, "process.capabilities.ambient": [21],
        "process.noNewPrivileges": "yes", "process.user": "root", "process.user.uid": "0",
        "root": [], "root.readonly": 1, "mounts": {}, "mounts.0": "proc", "mounts.0.destination": 7,
        "mounts.7.source": ["/etc"], "mounts.7.type": {}, "mounts.7.options": "rbind",
        "linux": [], "linux.namespaces": {}, "linux.namespaces.0": "pid", "linux.namespaces.0.type": 1,
        "linux.namespaces.0.path": 5, "linux.resources": [], "linux.resources.pids": 1,
        "linux.resources.memory": [], "linux.resources.devices": {}, "linux.resources.devices.0": "a",
        "linux.resources.devices.1.major": "1", "linux.maskedPaths": "/proc", "linux.sysctl": [],
        "linux.sysctl.net.ipv4.ping_group_range": 0, "linux.seccomp": [], "linux.seccomp.syscalls": {},
        "linux.seccomp.syscalls.0.names": "read", "linux.seccomp.syscalls.0.action": 1, "annotations": [],
    }
    for dotted, value in wrong.items():
        path = []
        node = BASE
        parts = dotted.split(".")
        i = 0
        while i < len(parts):
            key = parts[i]
            if isinstance(node, dict) and key not in node and i + 1 < len(parts):
                key = ".".join(parts[i:])  # a sysctl name with dots
                i = len(parts) - 1
            if isinstance(node, list):
                key = int(key)
            path.append(key)
            node = node[key] if (isinstance(node, dict) and key in node) or isinstance(node, list) else None
            i += 1
        write("wrong-type-%s.json" % dotted.replace(".", "-"), with_value(path, value))
    # Numbers out of range or not integers where integers are read.
    for name, value in (("pids-huge", "99999999999999999999999"), ("pids-float", "1.5"), ("pids-exp", "1e400"),
                        ("memory-huge", "18446744073709551616"), ("swap-float", "2.5e3")):
        field = "pids" if name.startswith("pids") else "memory"
        key = "swap" if name.startswith("swap") else "limit"
        c = copy.deepcopy(BASE)
        c["linux"]["resources"][field] = {key: "@@N@@"}
        write("number-%s.json" % name, json.dumps(c).replace('"@@N@@"', value))
    # Duplicate keys, at the top, in process, in a capability set's object, in annotations.
    write("duplicate-top.json", text[:-1] + ', "process": {"args": ["sh"]}}')
    write("duplicate-nested.json", text.replace('"noNewPrivileges"', '"args": [], "noNewPrivileges"', 1)
          if '"noNewPrivileges"' in text else text.replace('"args":', '"args": [], "args":', 1))
    write("duplicate-annotation.json", json.dumps(BASE)[:-1] + ', "annotations": {"a": "1", "a": "2"}}')
    # Keys runc would fold onto OCI keys.
    write("folded-process.json", text.replace('"process":', '"PROCESS":', 1))
    write("folded-long-s.json", text.replace('"process":', '"proce\u017fs":', 1))
    # Deep nesting, NUL bytes, invalid UTF-8, surrogates, garbage.
    write("deep-nesting.json", '{"process": {"args": ["sh"]}, "x": ' + "[" * 300 + "]" * 300 + "}")
    write("nul-raw.json", text.encode().replace(b'"process"', b'"pro\x00cess"', 1))
    write("nul-in-capability.json", with_value(["process", "capabilities", "bounding"], ["CAP_KILL\u0000"]))
    write("nul-in-mount-source.json", with_value(["mounts", 7, "source"], "/srv/data\u0000/etc"))
    write("invalid-utf8.json", text.encode().replace(b'"sh"', b'"\xff\xfe"', 1) if b'"sh"' in text.encode()
          else text.encode()[:-1] + b', "x": "\xc3\x28"}')
    write("lone-surrogate.json", text[:-1] + ', "x": "\\udc00"}')
    write("trailing-garbage.json", text + " {}")
    write("two-documents.json", text + text)
    write("bom.json", b"\xef\xbb\xbf" + text.encode())
    write("comment.json", "/* config */ " + text)
    write("not-an-object.json", json.dumps([BASE]))
    write("empty.json", "")
    write("null.json", "null")


if __name__ == "__main__":
    main()
