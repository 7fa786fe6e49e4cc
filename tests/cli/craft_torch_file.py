#!/usr/bin/env python3
"""Writes a crafted torch.save-style archive for the command-line tests of untrusted files.

Usage: craft_torch_file.py CASE OUTPUT
Each CASE is a data.pkl body that crashed LibTorch 1.13's unpickler (SIGSEGV / SIGBUS) or an
earlier reader, wrapped in an otherwise valid zip whose storage "0" holds six floats.
"""
import struct
import sys
import zipfile


def string(text):
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def integer(value):
    return b"\x8a\x08" + struct.pack("<q", value)


def tensor(numel, offset, sizes, strides):
    storage = (b"(" + string("storage") + b"ctorch\nFloatStorage\n" + string("0") +
               string("cpu") + integer(numel) + b"tQ")
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + storage + integer(offset) +
            b"(" + b"".join(integer(s) for s in sizes) + b"t(" +
            b"".join(integer(s) for s in strides) + b"t\x89ccollections\nOrderedDict\n)Rt" + b"R")


def state_dict(value):
    return b"\x80\x02}(" + string("conv1.weight") + value + b"u."


CASES = {
    "tuple3-one-item": b"N\x87.",
    "reduce-empty": b"R.",
    "build-empty": b"b.",
    "tuple1-empty": b"\x85.",
    "binpersid-empty": b"Q.",
    "offset-plus-2-31": state_dict(tensor(6, 2**31, [1], [1])),
    "offset-minus-2-31": state_dict(tensor(6, -2**31, [1], [1])),
    "huge-stride": state_dict(tensor(6, 0, [3], [2**62])),
    "empty-storage": state_dict(tensor(0, 0, [3], [1])),
    "short-storage": state_dict(tensor(6, 0, [4, 4], [4, 1])),
    "nested-tuples": b"N" + b"\x85" * 1000000 + b".",
    "os-system": b"cos\nsystem\n(" + string("touch pwned") + b"tR.",
}


def main():
    case, output = sys.argv[1], sys.argv[2]
    storage = struct.pack("<6f", *range(6)) if case != "empty-storage" else b""
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("archive/data.pkl", CASES[case])
        archive.writestr("archive/data/0", storage)
        archive.writestr("archive/version", "3\n")


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        print("\n".join(CASES))
    else:
        main()
