#!/usr/bin/env python3
"""The folders of core/ include only their own layer and the layers below (design/ARCHITECTURE.md):
util -> config -> data, augment, model, optim, swav, dist -> runtime -> train -> eval, store ->
workflow, and no two folders include each other, directly or through others.
Usage: check_layers.py CORE_DIR"""
import pathlib
import re
import sys

LAYERS = [["util"], ["config"], ["data", "augment", "model", "optim", "swav", "dist"],
          ["runtime"], ["train"], ["eval", "store"], ["workflow"]]
LAYER = {folder: level for level, folders in enumerate(LAYERS) for folder in folders}
INCLUDE = re.compile(r'^#include "([a-z]+)/', re.MULTILINE)


def include_graph(core):
    edges = {}
    for path in sorted(core.glob("*/*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        source = path.parent.name
        for target in INCLUDE.findall(path.read_text()):
            if target != source:
                edges.setdefault(source, {}).setdefault(target, path.relative_to(core))
    return edges


def reaches(edges, start, goal):
    seen, todo = set(), [start]
    while todo:
        folder = todo.pop()
        for target in edges.get(folder, {}):
            if target == goal:
                return True
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return False


def main():
    core = pathlib.Path(sys.argv[1])
    edges = include_graph(core)
    problems = []
    for source, targets in sorted(edges.items()):
        for target, example in sorted(targets.items()):
            if source not in LAYER or target not in LAYER:
                problems.append(f"{example}: folder {source} or {target} has no layer")
            elif LAYER[target] > LAYER[source]:
                problems.append(f"{example}: {source} includes {target}, a higher layer")
            elif reaches(edges, target, source):
                problems.append(f"{example}: {source} and {target} include each other")
    for problem in problems:
        print(problem)
    print(f"{len(edges)} folders, {sum(len(t) for t in edges.values())} folder dependencies, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
