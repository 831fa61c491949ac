"""User messages agree in number: no « unité(s) » when the count is known.

French messages are written with :func:`territobs.formatting.count_of` (``1
unité``, ``2 unités``) or choose their words from the count; the ``(s)`` of
an unknown number is only acceptable where no count is known, and none is
left in the modules scanned here (maps, atlas and portrait have their own).
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pandas as pd
import pytest

from territobs.errors import ZoneError
from territobs.zoning.zones import _zone_labels

SRC = Path(__file__).resolve().parents[2] / "src" / "territobs"
SCANNED = [
    *sorted((SRC / "cli").rglob("*.py")),
    *sorted((SRC / "zoning").rglob("*.py")),
    *sorted((SRC / "cog").rglob("*.py")),
    *sorted((SRC / "io").rglob("*.py")),
    *sorted((SRC / "secrecy").rglob("*.py")),
    SRC / "codes.py",
    SRC / "territory.py",
    SRC / "errors.py",
]
#: ``unité(s)``, ``absente(s)``, ``carreau(x)``...
UNDECIDED = re.compile(r"\w\((?:s|x|e|es)\)")


def _strings(path: Path) -> list[tuple[int, str]]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline)
    return [(tok.start[0], tok.string) for tok in tokens if tok.type == tokenize.STRING]


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(SRC)))
def test_no_undecided_plural(path):
    found = [
        f"{path.name}:{line}: {match.group(0)}"
        for line, text in _strings(path)
        for match in UNDECIDED.finditer(text)
    ]
    assert not found, "\n".join(found)


def test_conflicting_names_counted():
    names = pd.Series(["x", "y", "u", "v"], index=["a", "a", "b", "b"])
    with pytest.raises(ZoneError, match=r"^names : 2 zones ont plusieurs libellés"):
        _zone_labels(names)
