#!/usr/bin/env python3
"""Every file dialog of the programs goes through widgets/FileDialogs (issue 29): Qt's usual
dialogs open the files they list to guess their type, which drops the run database's POSIX locks
in the process that holds it. Usage: check_file_dialogs.py SOURCE_DIR"""
import pathlib
import re
import sys

ALLOWED = {pathlib.Path("widgets/FileDialogs.cpp"), pathlib.Path("widgets/FileDialogs.h")}
# Any Qt type that builds a file list with type sniffing, or a dialog showing one.
USE = re.compile(r"\b(QFileDialog|QFileSystemModel|QFileIconProvider)\b")


def offenders(root):
    found = []
    for folder in ("app", "widgets"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".h", ".cpp") or path.relative_to(root) in ALLOWED:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if USE.search(line):
                    found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def main():
    found = offenders(pathlib.Path(sys.argv[1]))
    for line in found:
        print(line)
    if found:
        print("use chooseFileToOpen / chooseFileToSave / chooseFolder (widgets/FileDialogs.h)")
        return 1
    print("every file dialog goes through widgets/FileDialogs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
