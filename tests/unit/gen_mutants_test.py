#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit test of scripts/gen-mutants on a fixture tree (no kernel, no
/dev/kvm): the mutants are the expected ones, the same on every run,
each applies with patch -p1 and each mutated fixture compiles."""

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(HERE, "fixtures", "gen-mutants")
GEN = os.path.join(TOP, "scripts", "gen-mutants")
CC = os.environ.get("CC", "cc")


def generate(out, *extra):
    return subprocess.run([sys.executable, GEN, "--kernel", "fixture",
                           "--src", os.path.join(FIX, "src"),
                           "--functions", os.path.join(FIX, "functions.txt"),
                           "--out", out] + list(extra),
                          capture_output=True, text=True, check=True)


def manifest(out):
    with open(os.path.join(out, "manifest.tsv"), encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f]


class GenMutants(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gen-mutants-test.")
        cls.out = os.path.join(cls.tmp, "a")
        cls.run1 = generate(cls.out)
        cls.rows = manifest(cls.out)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_expected_manifest(self):
        with open(os.path.join(FIX, "expected-manifest.tsv"), encoding="utf-8") as f:
            expected = [line.rstrip("\n").split("\t") for line in f]
        self.assertEqual(self.rows, expected)

    def test_deterministic(self):
        again = os.path.join(self.tmp, "b")
        generate(again)
        cmp = filecmp.dircmp(self.out, again)
        self.assertEqual(sorted(os.listdir(self.out)), sorted(os.listdir(again)))
        self.assertEqual(cmp.diff_files, [])
        _, mismatch, errors = filecmp.cmpfiles(self.out, again, os.listdir(self.out),
                                               shallow=False)
        self.assertEqual((mismatch, errors), ([], []))

    def test_missing_function_skipped(self):
        self.assertIn("not_in_the_source: no definition", self.run1.stderr)

    def test_no_sites_in_comments_strings_prototypes(self):
        # not_code()'s string and child_role's comments hold "if (",
        # "&&" and kvm_make_request(): none is a site.
        for r in self.rows[1:]:
            self.assertNotIn("not_code", r[0])
            self.assertNotIn("commented", r[8])
        ids = [r[0] for r in self.rows[1:]]
        self.assertIn("child_role.neg.1", ids)
        self.assertNotIn("child_role.neg.2", ids)

    def test_ept_only_sites_tagged(self):
        ifdef = {r[0]: r[7] for r in self.rows[1:]}
        self.assertEqual(ifdef["FNAME_gpte_access.neg.1"], "PTTYPE == PTTYPE_EPT")
        self.assertEqual(ifdef["FNAME_gpte_access.drop.3"], "!(PTTYPE == PTTYPE_EPT)")
        self.assertEqual(ifdef["sync_page.neg.1"], "-")

    def test_each_patch_applies_and_compiles(self):
        for r in self.rows[1:]:
            tree = os.path.join(self.tmp, "tree")
            shutil.rmtree(tree, ignore_errors=True)
            shutil.copytree(os.path.join(FIX, "src"), tree)
            patch = os.path.join(self.out, r[0] + ".patch")
            with open(patch, encoding="utf-8") as f:
                text = f.read()
            self.assertIn("Configs: %s\n" % r[6], text)
            subprocess.run(["patch", "-s", "-p1", "-d", tree, "-i", patch], check=True)
            mmu = os.path.join(tree, "arch/x86/kvm/mmu/mmu.c")
            with open(mmu, encoding="utf-8") as f:
                mutated = f.read()
            with open(os.path.join(tree, "arch/x86/kvm/mmu/paging_tmpl.h"),
                      encoding="utf-8") as f:
                mutated += f.read()
            self.assertNotEqual(mutated, self.pristine(), r[0])
            cc = subprocess.run([CC, "-fsyntax-only", "-Werror", mmu],
                                capture_output=True, text=True)
            self.assertEqual(cc.returncode, 0, "%s: %s" % (r[0], cc.stderr))

    def test_ops_filter(self):
        out = os.path.join(self.tmp, "ops")
        generate(out, "--ops", "drop")
        ops = {r[4] for r in manifest(out)[1:]}
        self.assertEqual(ops, {"drop"})

    def pristine(self):
        text = ""
        for f in ("mmu.c", "paging_tmpl.h"):
            with open(os.path.join(FIX, "src/arch/x86/kvm/mmu", f), encoding="utf-8") as fh:
                text += fh.read()
        return text


if __name__ == "__main__":
    unittest.main(verbosity=1)
