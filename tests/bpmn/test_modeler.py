"""Every diagram opens in the desktop Camunda Modeler, and the region packs hold at most a fifth of the lines of
the monolithic files they replaced, counted as the Modeler would save them.

The Modeler cannot run here; tests/bpmn/modeler_check.mjs reads each file with the libraries it uses (bpmn-moddle
and the camunda-bpmn-moddle descriptor, from node_modules): import warnings (an unknown element or attribute, an
unresolved reference, a duplicate id), a flow element without a shape or edge (the Modeler would not draw it), and
the lines after a re-save (`toXML({format: true})`), so that one-line shapes do not flatter the count.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "bpmn" / "modeler_check.mjs"
#: the BPMN lines of the four regions' monolithic bad_review.bpmn before the library (issue 10)
MONOLITHIC_LINES = 3430
TARGET_LINES = MONOLITHIC_LINES * 20 // 100


@pytest.fixture(scope="module")
def report() -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the Camunda Modeler check needs bpmn-moddle from node_modules")
    result = subprocess.run(
        [node, str(SCRIPT), "--json", str(ROOT)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_every_diagram_opens_in_the_camunda_modeler(report):
    problems = [p for p in report["problems"] if "byte-identical" not in p]
    assert problems == []
    assert report["files_checked"] >= 20


def test_region_packs_hold_at_most_a_fifth_of_the_monolithic_lines_after_a_modeler_re_save(report):
    print(json.dumps({"regions": report["regions"], "total": report["total"]}, ensure_ascii=False))
    assert report["total"]["formatted_lines"] <= TARGET_LINES, report["regions"]


def test_no_region_diagram_is_a_copy_of_a_national_or_another_regions_file(report):
    assert [pair for pair in report["identical"] if pair[0].startswith("bpmn/")] == []


def test_no_region_form_is_a_copy_of_a_national_or_another_regions_file(report):
    assert [pair for pair in report["identical"] if pair[0].startswith("forms/")] == []
