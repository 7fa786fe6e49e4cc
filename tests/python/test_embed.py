#!/usr/bin/env python3
"""`swav embed` writes arrays NumPy reads, equal to the features `swav eval` uses.

usage: test_embed.py PATH/TO/swav PATH/TO/tiny-synthetic.json

A tiny synthetic run is trained for one epoch; `swav eval` caches its train and test features next
to the checkpoint (a torch pickle); `swav embed` must give the same rows, in the same order, with
the same labels. numpy and torch are required: a failed import is a test failure, not a skip.
"""

import csv
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

SWAV = None
CONFIG = None


def swav(*args, expect=0):
    result = subprocess.run([SWAV, *map(str, args)], capture_output=True, text=True, timeout=280)
    if result.returncode != expect:
        raise AssertionError(f"swav {' '.join(map(str, args))}: exit {result.returncode}, "
                             f"expected {expect}: {result.stderr}")
    return result.stdout + result.stderr


def rows(csv_file):
    with open(csv_file, newline="") as f:
        return list(csv.DictReader(f))


class EmbedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.path = Path(cls.tmp.name)
        cls.db = cls.path / "runs.db"
        cls.run_dir = cls.path / "run"
        swav("train", "--config", CONFIG, "--set", "optim.epochs=1",
             "--set", "dataset.synthetic_count=512", "--db", cls.db, "--out", cls.run_dir)
        swav("eval", "--run", cls.run_dir, "--db", cls.db, "--knn")
        cls.checkpoint = next((cls.run_dir / "checkpoints").glob("*.pt"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def embed(self, name, *args):
        out = self.path / f"{name}.npy"
        swav("embed", "--run", self.run_dir, "--db", self.db, "--out", out, *args)
        return np.load(out), rows(self.path / f"{name}.csv")

    def test_features_equal_the_evaluation_cache(self):
        for split in ("train", "test"):
            values, names = self.embed(f"features-{split}", "--dataset", split)
            cache = torch.load(f"{self.checkpoint}.{split}.features")
            expected = cache["features"].numpy()
            self.assertEqual(values.dtype, np.float32)
            self.assertEqual(values.shape, expected.shape)
            diff = float(np.abs(values - expected).max())
            print(f"\n{split}: {values.shape}, max |embed - eval cache| {diff:.3g}", file=sys.stderr)
            self.assertLess(diff, 1e-5)
            self.assertEqual(len(names), values.shape[0])
            self.assertEqual([int(r["row"]) for r in names], list(range(values.shape[0])))
            self.assertEqual([int(r["label"]) for r in names], cache["labels"].tolist())
            self.assertTrue(all(r["replaced"] == "0" for r in names))

    def test_embeddings_scores_and_codes_have_their_shapes_and_invariants(self):
        embeddings, _ = self.embed("embeddings", "--dataset", "test", "--what", "embeddings")
        self.assertEqual(embeddings.shape[1], 16)  # head output_dim of the tiny config
        np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
        scores, _ = self.embed("scores", "--dataset", "test", "--what", "scores")
        self.assertEqual(scores.shape, (embeddings.shape[0], 16))  # 16 prototypes
        self.assertLessEqual(float(np.abs(scores).max()), 1.0 + 1e-5)  # cosines
        codes, _ = self.embed("codes", "--dataset", "test", "--what", "codes")
        self.assertEqual(codes.shape, scores.shape)
        np.testing.assert_allclose(codes.sum(axis=1), 1.0, atol=1e-4)
        self.assertGreaterEqual(float(codes.min()), 0.0)

    def test_codes_follow_the_runs_assignment(self):
        # A run trained with swav.assignment=softmax: its codes are softmax(score / epsilon) per
        # image, not Sinkhorn's.
        run = self.path / "run-softmax"
        swav("train", "--config", CONFIG, "--set", "optim.epochs=1", "--set",
             "dataset.synthetic_count=256", "--set", "swav.assignment=softmax", "--set",
             "swav.epsilon=0.05", "--db", self.db, "--out", run)
        outputs = {}
        for what in ("scores", "codes"):
            out = self.path / f"softmax-{what}.npy"
            message = swav("embed", "--run", run, "--db", self.db, "--dataset", "test", "--what",
                           what, "--out", out)
            outputs[what] = np.load(out)
        self.assertIn("softmax(score / 0.05)", message)
        expected = torch.softmax(torch.from_numpy(outputs["scores"]) / 0.05, dim=1).numpy()
        np.testing.assert_allclose(outputs["codes"], expected, atol=1e-5)

    def test_existing_outputs_are_refused_and_left_untouched(self):
        out = self.path / "mine.npy"
        out.write_bytes(b"the user's file")
        message = swav("embed", "--run", self.run_dir, "--db", self.db, "--dataset", "test",
                       "--out", out, expect=2)
        self.assertIn("already exists", message)
        self.assertEqual(out.read_bytes(), b"the user's file")
        self.assertFalse((self.path / "mine.csv").exists())


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    CONFIG = sys.argv.pop(2)
    SWAV = sys.argv.pop(1)
    unittest.main(verbosity=2)
