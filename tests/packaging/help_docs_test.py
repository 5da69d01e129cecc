#!/usr/bin/env python3
"""help_docs_test.py VIGIL VIGIL_STORE CLI_MD

The packages ship `--help`, not man pages; docs/cli.md is the manual
(docs/operations.md says so). This checks that they describe the same
commands and options:

- every command `vigil --help` lists has a section in docs/cli.md whose
  heading names it (`vigil scan`, `vigil policy lint FILE|DIR...`), and so
  have `vigil-store serve`, `token` and `host`;
- each command's `--help` exits 0, and the --options it names are the ones
  its section names (the deepest heading naming the command, to the next
  heading of the same or a higher level), both ways.

Exit 0 when all match; 1 with one line per mismatch.
"""
import re
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
HEADING = re.compile(r"^(#+) (.*)$", re.M)
# Options every command takes, documented once at the top of cli.md.
COMMON = {"--help"}


def run_help(argv):
    p = subprocess.run(argv + ["--help"], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def vigil_commands(vigil):
    """Command names from the "Commands:" block of `vigil --help`."""
    rc, text = run_help([vigil])
    if rc != 0:
        sys.exit(f"FAIL: {vigil} --help exited {rc}")
    commands, inside = [], False
    for line in text.splitlines():
        if line.strip() == "Commands:":
            inside = True
            continue
        if inside:
            if not line.startswith("  "):
                break
            words = []
            for w in re.split(r"\s{2,}", line.strip())[0].split():
                if not re.fullmatch(r"[a-z][a-z-]*", w):
                    break  # an argument: SQL, FILE, BUNDLE
                words.append(w)
            commands.append(" ".join(words))
    if not commands:
        sys.exit(f"FAIL: {vigil} --help lists no commands")
    return commands


def sections(doc):
    """(level, heading, body) for each heading of the document."""
    marks = [(m.start(), len(m.group(1)), m.group(2)) for m in HEADING.finditer(doc)]
    out = []
    for i, (pos, level, title) in enumerate(marks):
        end = len(doc)
        for pos2, level2, _ in marks[i + 1:]:
            if level2 <= level:
                end = pos2
                break
        out.append((level, title, doc[pos:end]))
    return out


def section_for(doc_sections, program, command):
    """The deepest section whose heading names `program command` in backticks."""
    name = re.compile(r"`" + re.escape(program + " " + command) + r"(?=[ `|])")
    found = [s for s in doc_sections if name.search(s[1])]
    return max(found, key=lambda s: s[0]) if found else None


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: help_docs_test.py VIGIL VIGIL_STORE CLI_MD")
    vigil, store, cli_md = sys.argv[1:]
    doc_sections = sections(open(cli_md, encoding="utf-8").read())
    checks = [("vigil", vigil, c.split()) for c in vigil_commands(vigil)]
    checks += [("vigil-store", store, [c]) for c in ("serve", "token", "host")]
    problems = []
    for program, binary, command in checks:
        name = " ".join(command)
        rc, text = run_help([binary] + command)
        if rc != 0:
            problems.append(f"{program} {name} --help exited {rc}")
            continue
        # vigil-store token|host share one section and one help text.
        key = "token|host" if program == "vigil-store" and name in ("token", "host") else name
        section = section_for(doc_sections, program, key)
        if section is None:
            problems.append(f"docs/cli.md has no section headed `{program} {key}`")
            continue
        in_help = set(OPTION.findall(text)) - COMMON
        in_doc = set(OPTION.findall(section[2])) - COMMON
        for o in sorted(in_help - in_doc):
            problems.append(f"{program} {name}: {o} is in --help but not in docs/cli.md \"{section[1]}\"")
        for o in sorted(in_doc - in_help):
            problems.append(f"{program} {name}: {o} is in docs/cli.md \"{section[1]}\" but not in --help")
        if not (in_help - in_doc) and not (in_doc - in_help):
            print(f"ok: {program} {name}: {len(in_help)} options, as in docs/cli.md \"{section[1]}\"")
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
