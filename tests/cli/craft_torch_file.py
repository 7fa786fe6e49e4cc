#!/usr/bin/env python3
"""Writes crafted torch.save archives for the command-line tests of untrusted files.

Usage: craft_torch_file.py CASE OUTPUT
       craft_torch_file.py --list | --list-tensor
       craft_torch_file.py --into CHECKPOINT TENSOR_CASE OUTPUT
The first form writes a data.pkl body that crashed LibTorch 1.13's unpickler (SIGSEGV / SIGBUS) or
an earlier reader, wrapped in an otherwise valid zip whose storage "0" holds six floats. The
--into form rewrites a real checkpoint (it needs Python's torch) so that its first model tensor
reaches outside its storage, everything else intact.
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
    "tuple3-one-item": b"\x80\x02N\x87.",
    "reduce-empty": b"\x80\x02R.",
    "build-empty": b"\x80\x02b.",
    "tuple1-empty": b"\x80\x02\x85.",
    "binpersid-empty": b"\x80\x02Q.",
    "offset-plus-2-31": state_dict(tensor(6, 2**31, [1], [1])),
    "offset-minus-2-31": state_dict(tensor(6, -2**31, [1], [1])),
    "huge-stride": state_dict(tensor(6, 0, [3], [2**62])),
    "empty-storage": state_dict(tensor(0, 0, [3], [1])),
    "short-storage": state_dict(tensor(6, 0, [4, 4], [4, 1])),
    "nested-tuples": b"\x80\x02N" + b"\x85" * 1000000 + b".",
    "os-system": b"\x80\x02cos\nsystem\n(" + string("touch pwned") + b"tR.",
}


TENSOR_CASES = ["offset-plus-2-31", "offset-minus-2-31", "huge-stride", "empty-storage",
                "short-storage"]


def craft_into(checkpoint, case, output):
    import collections
    import torch

    class Crafted:
        """Pickles as _rebuild_tensor_v2 with the given geometry over `storage`."""

        def __init__(self, storage, offset, size, stride):
            self.args = (storage, offset, size, stride, False, collections.OrderedDict())

        def __reduce__(self):
            return (torch._utils._rebuild_tensor_v2, self.args)

    state = torch.load(checkpoint)
    name = next(k for k, v in state["model"].items() if v.dtype == torch.float32 and v.dim() > 1)
    tensor = state["model"][name]
    size, stride = tuple(tensor.shape), tuple(tensor.stride())
    storage = tensor.storage()
    if case == "offset-plus-2-31":
        crafted = Crafted(storage, 2**31, size, stride)
    elif case == "offset-minus-2-31":
        crafted = Crafted(storage, -2**31, size, stride)
    elif case == "huge-stride":
        crafted = Crafted(storage, 0, size, (2**40,) + stride[1:])
    elif case == "empty-storage":
        crafted = Crafted(torch.FloatStorage(0), 0, size, stride)
    else:  # short-storage
        crafted = Crafted(torch.FloatStorage(6), 0, size, stride)
    state["model"][name] = crafted
    torch.save(state, output)


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
    elif len(sys.argv) == 2 and sys.argv[1] == "--list-tensor":
        print("\n".join(TENSOR_CASES))
    elif len(sys.argv) == 5 and sys.argv[1] == "--into":
        craft_into(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
