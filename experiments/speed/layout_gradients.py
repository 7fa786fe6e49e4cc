#!/usr/bin/env python3
"""How far the channels-first and channels-last layouts are from exact gradients.

usage: layout_gradients.py

One forward and backward of the `fashion-mnist` network (python_swav_loop.py) on random crops, in
float32 channels-first, float32 channels-last and a float64 reference with the same weights and
inputs. Prints, for batches of 8 and 256, the median and the worst relative error of the
parameter gradients against the reference (the bias of the head's first linear layer is left out:
batch norm follows it, so its exact gradient is zero and its relative error means nothing).
"""

import copy
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import python_swav_loop as loop  # noqa: E402


def relative_errors(model, reference):
    errors = []
    for (name, p), (_, r) in zip(model.named_parameters(), reference.named_parameters()):
        if name == "head.0.bias":
            continue
        error = (p.grad.double() - r.grad).norm() / r.grad.norm()
        errors.append((error.item(), name))
    return sorted(errors)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    for batch in (8, 256):
        first = loop.SwavNet()
        last = copy.deepcopy(first).to(memory_format=torch.channels_last)
        reference = copy.deepcopy(first).double()
        crops = [torch.randn(2 * batch, 1, 28, 28), torch.randn(4 * batch, 1, 14, 14)]
        weights = torch.randn(6 * batch, 100)
        (first(crops) * weights).sum().backward()
        last_crops = [c.contiguous(memory_format=torch.channels_last) for c in crops]
        (last(last_crops) * weights).sum().backward()
        (reference([c.double() for c in crops]) * weights.double()).sum().backward()
        for layout, model in (("channels-first", first), ("channels-last", last)):
            errors = relative_errors(model, reference)
            worst, name = errors[-1]
            print(f"batch {batch:3d} {layout:14s}: median {errors[len(errors) // 2][0]:.2e}, "
                  f"worst {worst:.2e} ({name})")


if __name__ == "__main__":
    main()
