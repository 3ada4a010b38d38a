"""Run a command with a datagram socket listening where it sends its audit events, and print
what arrived. Run it in a private mount namespace (unshare -m --propagation private): it covers
MOUNTPOINT with a tmpfs so the socket (journald's /run/systemd/journal/socket, syslog's /dev/log)
exists for this command only, and the host's paths stay as they were.

usage: receive_events.py MOUNTPOINT SOCKET -- ARGV...
prints one JSON object: {"rc": ..., "stderr": ..., "entries": [latin-1 text of each entry]}"""
import array
import json
import os
import socket
import subprocess
import sys


def main():
    mountpoint, path = sys.argv[1], sys.argv[2]
    assert sys.argv[3] == "--"
    argv = sys.argv[4:]
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "receive-events", mountpoint], check=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(path)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    entries = []
    sock.setblocking(False)
    while True:
        try:
            data, ancdata, _, _ = sock.recvmsg(1 << 20, socket.CMSG_SPACE(4))
        except BlockingIOError:
            break
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fd = array.array("i", payload[:4])[0]
                data = os.pread(fd, os.fstat(fd).st_size, 0)
                os.close(fd)
        entries.append(data.decode("latin-1"))
    print(json.dumps({"rc": p.returncode, "stderr": p.stderr, "entries": entries}))


if __name__ == "__main__":
    main()
