r"""The theory specification shipped with the package: the text docstrings cite as "THEORY §x".

``THEORY.md`` lives in ``topotheory/data/`` and is installed with the package (wheel and sdist), so
every citation resolves for an installed copy: :func:`theory_path` gives the file and
:func:`theory_section` the text of one numbered section.
"""

from __future__ import annotations

import functools
import importlib.resources
import pathlib
import re
from typing import Any

__all__ = ["theory_path", "theory_section", "theory_sections"]

#: A numbered heading of THEORY.md: ``## 2. Title`` or ``### 2.1 Title`` (level, number, title).
_HEADING = re.compile(r"^(#{2,6})\s+(\d+(?:\.\d+)*)\.?\s+(.*?)\s*$")


def theory_path() -> pathlib.Path:
    """Path of the theory specification ``THEORY.md`` installed with the package.

    Docstrings cite its sections as "THEORY §x" (for instance "THEORY §2.2": n_W of a static
    gossip matrix W, row convention ``X <- W X``); the file is package data, so it is there for
    an installed wheel as well as for a source checkout.

    Returns
    -------
    pathlib.Path
        The absolute path of ``THEORY.md`` (UTF-8 Markdown).

    See Also
    --------
    theory_section : the text of one numbered section.

    Examples
    --------
    >>> import topotheory as tt
    >>> path = tt.theory_path()
    >>> path.name
    'THEORY.md'
    >>> path.read_text(encoding="utf-8").startswith("# topotheory")
    True
    """
    resource = importlib.resources.files("topotheory").joinpath("data").joinpath("THEORY.md")
    path = pathlib.Path(str(resource))
    if not path.is_file():  # pragma: no cover - only for a broken install
        raise FileNotFoundError(f"THEORY.md is missing from the installed package (looked at {path})")
    return path


@functools.lru_cache(maxsize=1)
def _parsed() -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """(number, level, title, first line, end line) of every numbered heading, in file order."""
    lines = theory_path().read_text(encoding="utf-8").splitlines()
    heads = []
    fence = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fence = not fence
        m = None if fence else _HEADING.match(line)
        if m:
            heads.append((m.group(2), len(m.group(1)), m.group(3), i))
    out = []
    for k, (number, level, title, start) in enumerate(heads):
        end = next((s for _, lv, _, s in heads[k + 1:] if lv <= level), len(lines))
        out.append((number, level, title, start, end))
    return tuple(out), tuple(lines)


def theory_sections() -> dict[str, str]:
    """The numbered sections of ``THEORY.md``: a dict from section number to title.

    Returns
    -------
    dict of str to str
        ``{"0": "Conventions", "1": ..., "2.1": "Definition", ...}`` in file order.

    Examples
    --------
    >>> import topotheory as tt
    >>> tt.theory_sections()["2.1"]
    'Definition'
    """
    heads, _ = _parsed()
    return {number: title for number, _, title, _, _ in heads}


def theory_section(number: str) -> str:
    """The text of section ``number`` of ``THEORY.md`` (the "THEORY §x" of the docstrings).

    A section runs from its heading to the next heading of the same or a higher level, so
    ``"2"`` includes ``2.1``–``2.4`` and ``"2.1"`` only its own text.

    Parameters
    ----------
    number : str
        A section number as cited, e.g. ``"2.1"`` or ``"3"``; a leading ``"§"`` and a trailing
        ``"."`` are accepted (``"§3.3"``, ``"5."``).

    Returns
    -------
    str
        The section's Markdown, heading line included.

    Raises
    ------
    TypeError
        If ``number`` is not a string.
    ValueError
        If THEORY.md has no section of that number (the message lists the ones it has).

    See Also
    --------
    theory_path : the whole file.

    Examples
    --------
    >>> import topotheory as tt
    >>> print(tt.theory_section("2.1").splitlines()[0])
    ### 2.1 Definition
    >>> "### 2.2" in tt.theory_section("2"), "### 2.2" in tt.theory_section("2.1")
    (True, False)
    """
    if not isinstance(number, str):
        raise TypeError(f"number must be a section number as a string such as '2.1', got {number!r}")
    key = number.strip().lstrip("§").strip().rstrip(".")
    heads, lines = _parsed()
    for num, _, _, start, end in heads:
        if num == key:
            return "\n".join(lines[start:end]).rstrip() + "\n"
    known = ", ".join(num for num, *_ in heads)
    raise ValueError(f"number must be a section of THEORY.md ({known}); got {number!r}")
