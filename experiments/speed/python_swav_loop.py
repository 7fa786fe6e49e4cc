#!/usr/bin/env python3
"""A plain PyTorch SwAV training loop shaped like the `fashion-mnist` preset, to compare speeds.

usage: python_swav_loop.py [--steps 20] [--warmup 3] [--threads 2] [--batch 256] [--channels-last]
                          [--inplace] [--bf16] [--feature-width N]

Same network (3x3 stem of 16 channels, four basic blocks of 16/32/64/128, MLP head 128-512-128,
100 prototypes), same crops (2 x 28 px + 4 x 14 px of one-channel images), batch 256, Sinkhorn
(epsilon 0.025, 3 iterations) on crops 0 and 1, temperature 0.1, SGD with momentum. The crops are
random tensors made before timing: the comparison is about the network on the CPU, which is where
the step spends its time. --inplace applies the ReLUs and residual sums in place, as torchvision's
ResNet (and the authors' code) does. --bf16 runs the network (not the prototypes, Sinkhorn or the
loss) under CPU bfloat16 autocast, as the engine does on CPUs with native bf16. --feature-width N
ends the trunk with a 1x1 convolution to N channels, batch norm and ReLU (the preset's
`model.feature_width`; 0 leaves it out). Prints images/s over the timed steps.
"""

import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


INPLACE = False


def relu(x):
    return F.relu_(x) if INPLACE else F.relu(x)


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.down = None
        if stride != 1 or inplanes != planes:
            self.down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                      nn.BatchNorm2d(planes))

    def forward(self, x):
        out = relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = self.down(x) if self.down is not None else x
        return relu(out.add_(identity) if INPLACE else out + identity)


class Trunk(nn.Module):
    def __init__(self, feature_width):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, inplanes = [], 16
        for width, stride in zip((16, 32, 64, 128), (1, 2, 2, 2)):
            layers.append(BasicBlock(inplanes, width, stride))
            inplanes = width
        self.layers = nn.Sequential(*layers)
        self.feature = None
        if feature_width > 0:
            self.feature = nn.Sequential(nn.Conv2d(inplanes, feature_width, 1, bias=False),
                                         nn.BatchNorm2d(feature_width))
        self.dim = feature_width if feature_width > 0 else inplanes

    def forward(self, x):
        out = self.layers(relu(self.bn1(self.conv1(x))))
        if self.feature is not None:
            out = relu(self.feature(out))
        return out.mean((2, 3))


class SwavNet(nn.Module):
    def __init__(self, feature_width=0):
        super().__init__()
        self.trunk = Trunk(feature_width)
        self.head = nn.Sequential(nn.Linear(self.trunk.dim, 512), nn.BatchNorm1d(512), nn.ReLU(),
                                  nn.Linear(512, 128))
        self.prototypes = nn.Linear(128, 100, bias=False)

    def forward(self, groups):
        features = torch.cat([self.trunk(g) for g in groups])
        z = F.normalize(self.head(features).float(), dim=1)
        with torch.autocast("cpu", enabled=False):
            return self.prototypes(z)


@torch.no_grad()
def sinkhorn(scores, epsilon=0.025, iterations=3):
    q = torch.exp(scores / epsilon).t()
    q /= q.sum()
    k, b = q.shape
    for _ in range(iterations):
        q /= q.sum(dim=1, keepdim=True)
        q /= k
        q /= q.sum(dim=0, keepdim=True)
        q /= b
    return (q * b).t()


def swav_loss(scores, batch, crops=6, assign=(0, 1), temperature=0.1):
    loss = 0
    for i in assign:
        q = sinkhorn(scores[i * batch:(i + 1) * batch].detach())
        sub = 0
        for v in range(crops):
            if v != i:
                p = F.log_softmax(scores[v * batch:(v + 1) * batch] / temperature, dim=1)
                sub -= (q * p).sum(dim=1).mean()
        loss += sub / (crops - 1)
    return loss / len(assign)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--inplace", action="store_true")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--feature-width", type=int, default=0)
    args = parser.parse_args()
    global INPLACE
    INPLACE = args.inplace
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    batch = args.batch
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    model = SwavNet(args.feature_width).to(memory_format=fmt)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-6)
    large = torch.randn(2 * batch, 1, 28, 28).contiguous(memory_format=fmt)
    small = torch.randn(4 * batch, 1, 14, 14).contiguous(memory_format=fmt)
    start = None
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            start = time.perf_counter()
        with torch.no_grad():
            w = model.prototypes.weight
            w.copy_(F.normalize(w, dim=1))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            scores = model([large, small])
        loss = swav_loss(scores, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    print(f"{'channels-last' if args.channels_last else 'contiguous'}"
          f"{', in place' if args.inplace else ''}{', bf16' if args.bf16 else ''}"
          f"{f', feature layer {args.feature_width}' if args.feature_width else ''}, batch {batch}: "
          f"{batch * args.steps / seconds:.1f} images/s ({seconds / args.steps * 1000:.0f} ms/step, "
          f"{args.threads} threads)")


if __name__ == "__main__":
    main()
