"""The theory specification ships with the package, and every "THEORY §x" a docstring cites exists."""

import pathlib
import re

import pytest

import topotheory as tt

PACKAGE = pathlib.Path(tt.__file__).parent
REPO = PACKAGE.parent


def test_theory_path_is_the_package_data_file():
    path = tt.theory_path()
    assert path == PACKAGE / "data" / "THEORY.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# topotheory")
    assert "## 2. The effective number of neighbours" in text


def test_sections_split_at_headings_of_the_same_or_higher_level():
    text = tt.theory_path().read_text(encoding="utf-8")
    s21 = tt.theory_section("2.1")
    s2 = tt.theory_section("2")
    assert s21.startswith("### 2.1 Definition\n")
    assert "### 2.2" not in s21 and "## 3." not in s21
    assert s2.startswith("## 2. ") and "### 2.4 Infinite graphs" in s2 and "## 3." not in s2
    assert s21 in s2 and s2 in text
    # the top-level sections tile the file after the preamble
    tops = [num for num in tt.theory_sections() if "." not in num]
    assert tops == [str(k) for k in range(10)]
    joined = "".join(tt.theory_section(k) for k in tops)
    assert len(joined) > 0.95 * len(text[text.index("## 0."):])
    # spellings of a citation
    assert tt.theory_section("§3.3") == tt.theory_section("3.3") == tt.theory_section("3.3.")


def test_every_citation_in_the_package_resolves():
    cited = set()
    for path in PACKAGE.rglob("*.py"):
        cited |= set(re.findall(r"THEORY\s+§(\d+(?:\.\d+)*)", path.read_text(encoding="utf-8")))
    assert len(cited) >= 10
    known = tt.theory_sections()
    missing = sorted(c for c in cited if c not in known)
    assert not missing, f"docstrings cite sections THEORY.md does not have: {missing}"


def test_bad_section_numbers():
    with pytest.raises(ValueError, match=r"number must be a section of THEORY.md \(0, 1, 2, 2.1"):
        tt.theory_section("12.7")
    with pytest.raises(TypeError, match="number must be a section number as a string"):
        tt.theory_section(2.1)


def test_docs_page_includes_the_one_source():
    """docs/THEORY.md is the site's page for the specification: it includes the package file."""
    page = REPO / "docs" / "THEORY.md"
    if not page.exists():
        pytest.skip("not a source checkout")
    text = page.read_text(encoding="utf-8")
    included = re.findall(r"```\{include\}\s+(\S+)", text)
    assert [(page.parent / inc).resolve() for inc in included] == [tt.theory_path().resolve()]
    assert "## " not in text  # no second copy that could drift


def test_theory_is_declared_package_data():
    cfg = REPO / "setup.cfg"
    if not cfg.exists():
        pytest.skip("not a source checkout")
    assert re.search(r"\[options\.package_data\]\s*\ntopotheory\s*=\s*data/\*\.md", cfg.read_text())
