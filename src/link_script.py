#!/usr/bin/env python3
"""Writes the linker script of hardrun's release build: the toolchain's own default script, as the
linker prints it for this very link (`--verbose`), with the input sections of src/hot-text.ld
placed first in .text. Taking the default from the linker at build time keeps every other part of
the layout what that linker version would do without a script.

  link_script.py OUT FRAGMENT PROBE CXX [LINK ARGS...] SOURCE
"""
import os
import subprocess
import sys

RULE = "=" * 50


def main():
    out, fragment, probe, link = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    os.makedirs(os.path.dirname(probe) or ".", exist_ok=True)
    r = subprocess.run(link + ["-Wl,--verbose", "-o", probe], capture_output=True, text=True)
    lines = r.stdout.splitlines()
    if r.returncode != 0 or lines.count(RULE) < 2:
        sys.exit("link_script.py: the linker printed no default script (%s)" % (r.stderr.strip() or "no output"))
    first = lines.index(RULE)
    script = lines[first + 1:lines.index(RULE, first + 1)]
    # .text's description: "  .text           :" then "  {", then its input sections.
    at = next((i for i, line in enumerate(script[:-1])
               if line.split() == [".text", ":"] and script[i + 1].strip() == "{"), None)
    if at is None:
        sys.exit("link_script.py: no .text output section in the linker's default script")
    hot = [line for line in open(fragment).read().splitlines()]
    script[at + 2:at + 2] = hot
    with open(out, "w") as f:
        f.write("\n".join(script) + "\n")


if __name__ == "__main__":
    main()
