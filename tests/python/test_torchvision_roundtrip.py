#!/usr/bin/env python3
"""Weights travel between SwAV Workbench (C++) and PyTorch/torchvision and compute the same.

usage: test_torchvision_roundtrip.py PATH/TO/interop_tool

torch and torchvision are required (packaging/install-deps.sh installs them): a failed import is
a test failure, not a skip.
"""

import collections
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import torch
import torchvision

TOOL = None
TOLERANCE = 1e-4


def run_tool(*args):
    result = subprocess.run([TOOL, *map(str, args)], capture_output=True, text=True, timeout=240)
    if result.returncode != 0:
        raise AssertionError(f"interop_tool {' '.join(map(str, args))} failed "
                             f"({result.returncode}): {result.stderr}")
    return result.stdout


def randomize_batch_norm(model, input_shape):
    """Random BatchNorm affine parameters and train-mode statistics, so that they matter."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0.0, 0.1)
        model.train()
        for _ in range(8):
            model(torch.randn(*input_shape))
    model.eval()


def max_abs_diff(a, b):
    return (a - b).abs().max().item()


class TorchvisionRoundTrip(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="swav-interop-")
        self.path = Path(self.dir.name)

    def tearDown(self):
        self.dir.cleanup()

    def test_cpp_export_loads_strictly_into_torchvision_and_matches(self):
        run_tool("export", "resnet18", self.path)
        state = torch.load(self.path / "resnet.pt")
        outputs = torch.load(self.path / "outputs.pt")
        self.assertIs(type(state), dict)

        model = torchvision.models.resnet18()
        expected_keys = set(model.state_dict()) - {"fc.weight", "fc.bias"}
        self.assertEqual(set(state), expected_keys)
        self.assertEqual(state["bn1.num_batches_tracked"].dtype, torch.int64)
        self.assertEqual(state["bn1.num_batches_tracked"].item(), 8)

        model.fc = torch.nn.Identity()
        model.load_state_dict(state, strict=True)
        model.eval()
        trunk = torch.nn.Sequential(*list(model.children())[:-2])  # up to layer4
        with torch.no_grad():
            features = model(outputs["input"])
            feature_map = trunk(outputs["input"])
        feature_diff = max_abs_diff(features, outputs["features"])
        map_diff = max_abs_diff(feature_map, outputs["feature_map"])
        print(f"\nC++ -> torchvision: features max |diff| {feature_diff:.3g} "
              f"(max |value| {features.abs().max().item():.3g}), "
              f"feature map max |diff| {map_diff:.3g}", file=sys.stderr)
        self.assertEqual(features.shape, (2, 512))
        self.assertLess(feature_diff, TOLERANCE)
        self.assertLess(map_diff, TOLERANCE)
        # The comparison is meaningful only if the features are not trivially equal.
        self.assertGreater(features.std().item(), 1e-3)

    def python_model_and_input(self):
        torch.manual_seed(1)
        model = torchvision.models.resnet18()
        randomize_batch_norm(model, (4, 3, 64, 64))
        image = torch.randn(2, 3, 96, 96)
        torch.save({"input": image}, self.path / "input.pt")
        return model, image

    def test_swav_release_format_imports_into_cpp_and_matches(self):
        model, image = self.python_model_and_input()
        head = torch.nn.Sequential(torch.nn.Linear(512, 64), torch.nn.BatchNorm1d(64),
                                   torch.nn.ReLU(), torch.nn.Linear(64, 16))
        randomize_batch_norm(head, (32, 512))
        prototypes = torch.nn.Linear(16, 10, bias=False)
        release = {"module." + k: v for k, v in model.state_dict().items()
                   if not k.startswith("fc.")}
        release.update({"module.projection_head." + k: v for k, v in head.state_dict().items()})
        release["module.prototypes.weight"] = prototypes.weight.detach()
        torch.save(release, self.path / "swav_release.pth")

        report = json.loads(run_tool("import", self.path / "swav_release.pth",
                                     self.path / "input.pt", self.path / "out.pt"))
        self.assertEqual(report["format"], "swav-release")
        self.assertEqual(report["trunk_tensors"], 120)
        self.assertEqual(report["head_tensors"], 9)
        self.assertTrue(report["prototypes_loaded"])
        self.assertEqual(report["ignored_keys"], [])

        out = torch.load(self.path / "out.pt")
        model.fc = torch.nn.Identity()
        with torch.no_grad():
            features = model(image)
            embeddings = torch.nn.functional.normalize(head(features), dim=1)
            scores = embeddings @ prototypes.weight.t()
        diffs = {name: max_abs_diff(value, out[name]) for name, value in
                 [("features", features), ("embeddings", embeddings), ("scores", scores)]}
        print("\nSwAV release -> C++: max |diff| " +
              ", ".join(f"{k} {v:.3g}" for k, v in diffs.items()), file=sys.stderr)
        for name, diff in diffs.items():
            self.assertLess(diff, TOLERANCE, name)

    def test_torchvision_ordered_dict_imports_into_cpp_and_matches(self):
        model, image = self.python_model_and_input()
        state = model.state_dict()
        self.assertIsInstance(state, collections.OrderedDict)  # with _metadata, fc included
        torch.save(state, self.path / "resnet18.pth")

        report = json.loads(run_tool("import", self.path / "resnet18.pth",
                                     self.path / "input.pt", self.path / "out.pt"))
        self.assertEqual(report["format"], "torchvision")
        self.assertEqual(report["trunk_tensors"], 120)
        self.assertEqual(report["head_tensors"], 0)
        self.assertFalse(report["prototypes_loaded"])
        self.assertEqual(report["ignored_keys"], ["fc.bias", "fc.weight"])

        out = torch.load(self.path / "out.pt")
        model.fc = torch.nn.Identity()
        with torch.no_grad():
            features = model(image)
        diff = max_abs_diff(features, out["features"])
        print(f"\ntorchvision OrderedDict -> C++: features max |diff| {diff:.3g}", file=sys.stderr)
        self.assertLess(diff, TOLERANCE)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    TOOL = sys.argv.pop(1)
    unittest.main(verbosity=2)
