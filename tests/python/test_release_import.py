#!/usr/bin/env python3
"""The authors' own ResNet-50 files import with `swav import FILE --arch resnet50` and nothing else,
and `swav embed` then computes the features the authors' model computes on the same images.

usage: test_release_import.py PATH/TO/swav PATH/TO/imagenet-resnet50-800ep.json

The model is the one of the SwAV repository's src/resnet50.py (its padding module, its 2-pixel
first convolution, the 2048-2048-128 projection head and 3000 prototypes), with random weights and
batch-norm statistics. Its state dict is saved as the authors' release was (PyTorch 1.4, i.e.
torch.save's format before 1.6, keys from DistributedDataParallel with "module."), in the zip format
without the prefix, and as main_swav.py's checkpoint (weights under "state_dict", beside the epoch
and the optimizer's state). torch and torchvision are required: a failed import is a failure.
"""

import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch
import torchvision

SWAV = None
PRESET = None
SIDE = 256  # the preset's dataset.image_size: images of that size are used as they are
TOLERANCE = 2e-4  # relative to the largest feature


class AuthorsResNet50(torch.nn.Module):
    """src/resnet50.py of facebookresearch/swav: resnet50(normalize=True, hidden_mlp=2048,
    output_dim=128, nmb_prototypes=3000), built from torchvision's bottleneck stages."""

    def __init__(self):
        super().__init__()
        stages = torchvision.models.resnet50()
        self.padding = torch.nn.ConstantPad2d(1, 0.0)
        self.conv1 = torch.nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=2, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(64)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1, self.layer2 = stages.layer1, stages.layer2
        self.layer3, self.layer4 = stages.layer3, stages.layer4
        self.avgpool = torch.nn.AdaptiveAvgPool2d((1, 1))
        self.projection_head = torch.nn.Sequential(
            torch.nn.Linear(2048, 2048), torch.nn.BatchNorm1d(2048), torch.nn.ReLU(inplace=True),
            torch.nn.Linear(2048, 128))
        self.prototypes = torch.nn.Linear(128, 3000, bias=False)

    def forward_backbone(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(self.padding(x)))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)


def authors_model():
    torch.manual_seed(3)
    model = AuthorsResNet50()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0.0, 0.1)
                module.running_mean.normal_(0.0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
                module.num_batches_tracked.fill_(1000)
    return model.eval()


def write_bmp(path, rgb):
    """A 24-bit BMP of an (H, W, 3) uint8 array: lossless, no image library needed."""
    height, width, _ = rgb.shape
    row = (width * 3 + 3) & ~3
    pixels = bytearray()
    for y in range(height - 1, -1, -1):
        line = rgb[y, :, ::-1].tobytes()
        pixels += line + b"\0" * (row - len(line))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    Path(path).write_bytes(header + info + bytes(pixels))


def swav(*args, env, expect=0):
    result = subprocess.run([SWAV, *map(str, args)], capture_output=True, text=True, timeout=280,
                            env=env)
    if result.returncode != expect:
        raise AssertionError(f"swav {' '.join(map(str, args))}: exit {result.returncode}, "
                             f"expected {expect}: {result.stdout} {result.stderr}")
    return result.stdout + result.stderr


class ReleaseImport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="swav-release-")
        cls.path = Path(cls.tmp.name)
        cls.model = authors_model()
        cls.state = cls.model.state_dict()

        # Four images in two class folders, each already the preset's image size.
        rng = np.random.default_rng(5)
        cls.images = cls.path / "images"
        cls.pixels = []
        for index in range(4):
            folder = cls.images / f"class{index % 2}"
            folder.mkdir(parents=True, exist_ok=True)
            rgb = rng.integers(0, 256, size=(SIDE, SIDE, 3), dtype=np.uint8)
            write_bmp(folder / f"image{index}.bmp", rgb)
            cls.pixels.append((f"class{index % 2}/image{index}.bmp", rgb))
        cls.pixels.sort()

        # What the authors' model makes of them: centre crop to the largest crop, normalised.
        preset = json.loads(Path(PRESET).read_text())
        crop = max(group["size"] for group in preset["multicrop"]["crops"])
        mean = torch.tensor(preset["multicrop"]["mean"]).view(1, 3, 1, 1)
        std = torch.tensor(preset["multicrop"]["std"]).view(1, 3, 1, 1)
        offset = (SIDE - crop) // 2
        batch = torch.stack([torch.from_numpy(rgb).permute(2, 0, 1) for _, rgb in cls.pixels])
        batch = batch[:, :, offset:offset + crop, offset:offset + crop].float() / 255.0
        with torch.no_grad():
            cls.features = cls.model.forward_backbone((batch - mean) / std).numpy()

        # The default run database of a user whose data folder is here.
        cls.env = dict(os.environ, XDG_DATA_HOME=str(cls.path / "data"), HOME=str(cls.path))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def import_and_embed(self, name, payload, legacy, protocol=2):
        weights = self.path / f"{name}.pth.tar"
        torch.save(payload, weights, _use_new_zipfile_serialization=not legacy,
                   pickle_protocol=protocol)
        magic = weights.read_bytes()[:2]
        self.assertEqual(magic == b"PK", not legacy, "the file is in the format meant")

        out = swav("import", weights, "--arch", "resnet50", env=self.env)
        self.assertIn("swav-release weights", out)
        self.assertIn("projection head tensors", out)
        self.assertIn(", prototypes", out)
        self.assertNotIn("prototypes not loaded", out)
        run = out.split()[1]

        embedded = self.path / f"{name}.npy"
        swav("embed", "--run", run, "--images", self.images, "--what", "features", "--out",
             embedded, env=self.env)
        rows = np.load(embedded)
        names = (self.path / f"{name}.csv").read_text().splitlines()
        self.assertEqual(rows.shape, (4, 2048))
        self.assertEqual([line.split(",")[1] for line in names[1:]],
                         [file for file, _ in self.pixels])
        scale = np.abs(self.features).max()
        diff = np.abs(rows - self.features).max()
        print(f"\n{name}: features max |diff| {diff:.3g} of max |value| {scale:.3g}",
              file=sys.stderr)
        self.assertGreater(self.features.std(), 1e-3)  # not trivially equal
        self.assertLess(diff, TOLERANCE * scale)
        return run

    def test_legacy_release_with_module_prefix(self):
        release = {"module." + key: value for key, value in self.state.items()}
        run = self.import_and_embed("swav_800ep_pretrain", release, legacy=True)
        # The run names no images: a command that needs them says how to name them.
        out = swav("eval", "--run", run, "--knn", env=self.env, expect=1)
        self.assertIn("dataset.path", out)
        self.assertIn("--set dataset.path=FOLDER", out)

    def test_legacy_format_with_framed_pickles(self):
        # torch.save(..., pickle_protocol=4) frames every pickle, the magic number's included.
        self.import_and_embed("protocol4", dict(self.state), legacy=True, protocol=4)

    def test_zip_format_without_prefix(self):
        self.import_and_embed("swav_zip", dict(self.state), legacy=False)

    def test_legacy_training_checkpoint_under_state_dict(self):
        release = {"module." + key: value for key, value in self.state.items()}
        momentum = {0: {"momentum_buffer": torch.zeros(3)}}
        checkpoint = {"epoch": 800, "state_dict": release,
                      "optimizer": {"state": momentum,
                                    "param_groups": [{"lr": 0.0048, "params": [0]}]}}
        self.import_and_embed("checkpoint", checkpoint, legacy=True)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    SWAV = sys.argv.pop(1)
    PRESET = sys.argv.pop(1)
    unittest.main(verbosity=2)
