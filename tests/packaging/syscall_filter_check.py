#!/usr/bin/env python3
"""syscall_filter_check.py UNIT PROGRAM TRACE...

Checks that the system calls a program made, as `strace -f -o TRACE` saw
them, are all allowed by the SystemCallFilter= lines of the systemd unit
that will run it. The filter's groups (@system-service, ~@privileged ...)
are expanded by `systemd-analyze syscall-filter`, so the check follows the
systemd on this machine. Only calls after the trace's first execve of
PROGRAM count (setpriv, which set up the credentials, is not the service).

The semantics are systemd.exec(5)'s: the first line that is not "~..." makes
an allow list; later plain lines add to it, "~..." lines take away.

Exit 0 when every call is allowed; 1 naming the calls that are not and
where the trace has them.
"""
import re
import subprocess
import sys

CALL = re.compile(r"^(\d+) +(?:<\.\.\. )?([a-z_][a-z0-9_]*)\(")


def expand(name, cache={}):
    """The system calls a name stands for: a group (recursively) or itself."""
    if not name.startswith("@"):
        return {name}
    if name not in cache:
        out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                             capture_output=True, text=True, check=True).stdout
        calls = set()
        for line in out.splitlines()[1:]:
            line = line.strip()
            if line and not line.startswith("#"):
                calls |= expand(line.split()[0])
        if not calls:
            sys.exit(f"FAIL: systemd-analyze syscall-filter {name} lists nothing")
        cache[name] = calls
    return cache[name]


def unit_filter(unit):
    allowed = None
    lines = [l.strip() for l in open(unit, encoding="utf-8")]
    for line in lines:
        if not line.startswith("SystemCallFilter="):
            continue
        value = line.split("=", 1)[1].strip()
        deny = value.startswith("~")
        names = set()
        for n in value.lstrip("~").split():
            names |= expand(n)
        if deny:
            if allowed is None:
                sys.exit(f"FAIL: {unit}: a deny list before any allow list is not what this check reads")
            allowed -= names
        elif allowed is None:
            allowed = names
        else:
            allowed |= names
    if allowed is None:
        sys.exit(f"FAIL: {unit}: no SystemCallFilter= line")
    return allowed


def calls_in(trace, program):
    """{call: first line} made after the first execve of program."""
    seen, started = {}, False
    with open(trace, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not started:
                started = f'execve("{program}"' in line and "= 0" in line
                continue
            m = CALL.match(line)
            if m and m.group(2) not in seen:
                seen[m.group(2)] = f"{trace}:{n}"
    if not started:
        sys.exit(f"FAIL: {trace}: no successful execve of {program}")
    return seen


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: syscall_filter_check.py UNIT PROGRAM TRACE...")
    unit, program, traces = sys.argv[1], sys.argv[2], sys.argv[3:]
    allowed = unit_filter(unit)
    used = {}
    for t in traces:
        for call, where in calls_in(t, program).items():
            used.setdefault(call, where)
    outside = sorted(c for c in used if c not in allowed)
    if outside:
        for c in outside:
            print(f"FAIL: {program} called {c} ({used[c]}), which {unit}'s SystemCallFilter= does not allow")
        return 1
    print(f"ok: {program}: {len(used)} distinct system calls, all allowed by {unit}'s SystemCallFilter=")
    return 0


if __name__ == "__main__":
    sys.exit(main())
