"""Supra-communal membership by vintage, and attachment of sub-communal entities.

- :func:`read_membership` reads INSEE's *table d'appartenance géographique des
  communes* (XLSX with header rows, or CSV) → ``CODGEO, DEP, REG, EPCI, ...``;
- :func:`read_commune_list` reads a COG commune list (``v_commune_YYYY.csv``,
  the old ``FranceYYYY.txt``, or Etalab's ``communes.json``) with the parent
  of each delegated / associated commune and municipal arrondissement;
- :func:`parents_passage` turns that list into a passage table child → parent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from territobs.codes import normalize_codes
from territobs.errors import SourceFormatError, format_codes, where
from territobs.io.text import read_text_table

__all__ = [
    "membership_table",
    "parents_passage",
    "read_commune_list",
    "read_membership",
]

#: Supra-communal columns holding codes, and their level for validation.
_CODE_LEVELS = {"DEP": "departement", "REG": "region", "EPCI": "epci", "EPT": "epci"}


def _find_header(raw: pd.DataFrame, path: str | os.PathLike[str]) -> int:
    for i, row in enumerate(raw.itertuples(index=False)):
        if "CODGEO" in {str(v).strip().upper() for v in row}:
            return i
        if i > 30:
            break
    raise SourceFormatError(
        where(path) + "ligne d'en-tête « CODGEO » introuvable dans les 30 "
        "premières lignes : est-ce bien la table d'appartenance de l'INSEE ?",
        path=path,
    )


def read_membership(path: str | os.PathLike[str]) -> pd.DataFrame:
    r"""Read INSEE's table d'appartenance géographique des communes.

    Parameters
    ----------
    path : str or path-like
        ``table-appartenance-geo-communes-YYYY.xlsx`` (sheet ``COM``, header
        rows skipped) or a CSV with a ``CODGEO`` column (``,`` or ``;``,
        UTF-8 or Windows-1252, title lines above the header skipped).

    Returns
    -------
    pandas.DataFrame
        The producer columns verbatim (``CODGEO, LIBGEO, DEP, REG, EPCI, ...``),
        all text; ``CODGEO`` validated; ``ZZZZZZZZZ`` ("no such unit") → NA.
        Fully empty rows are dropped.

    Raises
    ------
    SourceFormatError
        If no ``CODGEO`` header is found.
    CodeError
        If a commune or supra-communal code is malformed.

    Examples
    --------
    INSEE's file is an Excel workbook (its title rows above the header are
    skipped); the same table saved as CSV reads the same way:

    >>> import tempfile
    >>> from pathlib import Path
    >>> csv = Path(tempfile.mkdtemp()) / "table-appartenance-2024.csv"
    >>> _ = csv.write_text(
    ...     "CODGEO;LIBGEO;DEP;REG;EPCI\n"
    ...     "01001;L'Abergement-Clémenciat;01;84;200069193\n"
    ...     "01002;L'Abergement-de-Varey;01;84;240100883\n",
    ...     encoding="utf-8",
    ... )
    >>> read_membership(csv)[["CODGEO", "DEP", "EPCI"]]
      CODGEO DEP       EPCI
    0  01001  01  200069193
    1  01002  01  240100883
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xls"):
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str)
        sheet = next((s for n, s in sheets.items() if n.upper() == "COM"), None)
        raw = sheet if sheet is not None else next(iter(sheets.values()))
        header = _find_header(raw, path)
        table = raw.iloc[header + 1 :].copy()
        table.columns = [str(c).strip() for c in raw.iloc[header]]
        table = table.dropna(how="all")
        lines = (table.index + 1).tolist()  # spreadsheet rows
    else:
        # the shared reader: encodings, gzip, field counts checked (French
        # errors naming the lines), title lines above CODGEO skipped
        table, _ = read_text_table(path, header_marker="CODGEO")
        if "CODGEO" not in {c.upper() for c in table.columns}:
            _find_header(pd.DataFrame([table.columns]), path)  # raises
        table = table.mask(table.apply(lambda col: col.str.strip()) == "")
        lines = (table.index + 2).tolist()  # file lines
    table = table.reset_index(drop=True)
    table["CODGEO"] = normalize_codes(
        table["CODGEO"], "commune", path=str(path), column="CODGEO", lines=lines
    )
    for column, level in _CODE_LEVELS.items():
        if column in table.columns:
            table[column] = normalize_codes(
                table[column],
                level,  # type: ignore[arg-type]
                path=str(path),
                column=column,
                lines=lines,
                allow_missing=True,
            )
    return table


def membership_table(
    year: int,
    source: str | os.PathLike[str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    offline: bool = False,
) -> pd.DataFrame:
    """Commune → EPCI, département, région... for one COG vintage.

    Parameters
    ----------
    year : int
        Vintage (1 January). Zonings by EPCI must use the year of the data.
    source : str or path-like, optional
        The table d'appartenance file; default: fetched (and cached) from
        INSEE with :func:`territobs.fetch.fetch`.
    cache_dir : path-like, optional
        Cache directory for the download.
    offline : bool, default False
        Use only the cache.

    Returns
    -------
    pandas.DataFrame
        See :func:`read_membership`; ``frame.attrs["territobs"]`` records the
        vintage.

    Raises
    ------
    SourceFetchError
        If the file cannot be fetched.

    Examples
    --------
    Skipped by the doctests: without ``source``, the table is downloaded
    from insee.fr.

    >>> membership_table(2024, "table-appartenance-2024.csv")  # doctest: +SKIP
    """
    if source is None:
        from territobs.fetch import fetch

        source = fetch(
            "insee-table-appartenance", year=year, cache_dir=cache_dir, offline=offline
        )
    table = read_membership(source)
    table.attrs["territobs"] = {
        "source": "INSEE, table d'appartenance géographique des communes",
        "vintage": year,
        "path": os.fspath(source),
    }
    return table


def read_commune_list(path: str | os.PathLike[str]) -> pd.DataFrame:
    r"""Read a COG commune list with the parent of attached entities.

    Parameters
    ----------
    path : str or path-like
        ``v_commune_YYYY.csv`` (``TYPECOM, COM, ..., LIBELLE, ..., COMPARENT``),
        the old ``FranceYYYY.txt`` (tab separated, latin-1: ``ACTUAL, DEP,
        COM, POLE, NCCENR``), or Etalab's ``communes.json``.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``type`` (``COM``, ``COMD`` déléguée, ``COMA`` associée,
        ``ARM`` arrondissement municipal), ``name``, ``parent`` (NA for
        ``COM``).

    Raises
    ------
    SourceFormatError
        If the layout is not recognised.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> csv = Path(tempfile.mkdtemp()) / "v_commune_2024.csv"
    >>> _ = csv.write_text(
    ...     "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n"
    ...     "COM,01138,84,01,01D,011,0,CULOZ BEON,Culoz-Béon,Culoz-Béon,0110,\n"
    ...     "COMD,01039,,,,,0,BEON,Béon,Béon,,01138\n",
    ...     encoding="utf-8",
    ... )
    >>> read_commune_list(csv)
        code  type        name parent
    0  01138   COM  Culoz-Béon   <NA>
    1  01039  COMD        Béon  01138
    """
    name = os.fspath(path)
    if name.endswith((".json", ".json.gz")):
        raw = pd.read_json(path, dtype=False)
        types = {
            "commune-actuelle": "COM",
            "commune-deleguee": "COMD",
            "commune-associee": "COMA",
            "arrondissement-municipal": "ARM",
        }
        parent = raw.get("chefLieu", pd.Series(pd.NA, index=raw.index))
        if "commune" in raw:
            parent = parent.fillna(raw["commune"])
        frame = pd.DataFrame(
            {
                "code": raw["code"],
                "type": raw["type"].map(types),
                "name": raw["nom"],
                "parent": parent,
            }
        )
    else:
        head = pd.read_csv(path, nrows=0, sep=None, engine="python", encoding="latin-1")
        columns = {c.strip().upper() for c in head.columns}
        if {"TYPECOM", "COM", "COMPARENT"} <= columns:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
            raw.columns = [c.upper() for c in raw.columns]
            frame = pd.DataFrame(
                {
                    "code": raw["COM"],
                    "type": raw["TYPECOM"],
                    "name": raw.get("LIBELLE", ""),
                    "parent": raw["COMPARENT"].replace("", pd.NA),
                }
            )
        elif {"ACTUAL", "DEP", "COM", "POLE"} <= columns:
            raw = pd.read_csv(
                path, sep="\t", dtype=str, keep_default_na=False, encoding="latin-1"
            )
            # ACTUAL: 1 commune, 2 associée, 5 arrondissement, 6 déléguée.
            types = {"1": "COM", "2": "COMA", "5": "ARM", "6": "COMD"}
            raw = raw[raw["ACTUAL"].isin(list(types))]
            frame = pd.DataFrame(
                {
                    "code": raw["DEP"] + raw["COM"],
                    "type": raw["ACTUAL"].map(types),
                    "name": raw["NCCENR"],
                    "parent": raw["POLE"].replace("", pd.NA),
                }
            )
        else:
            raise SourceFormatError(
                where(path) + "liste des communes non reconnue (colonnes attendues : "
                "TYPECOM, COM, COMPARENT ou ACTUAL, DEP, COM, POLE).",
                path=path,
            )
    unknown = sorted(set(frame["type"].dropna()) - {"COM", "COMD", "COMA", "ARM"})
    if unknown or frame["type"].isna().any():
        raise SourceFormatError(
            where(path) + f"types de commune inconnus : {format_codes(unknown)}.",
            path=path,
            codes=unknown,
        )
    frame = frame.astype({"code": "string", "type": "string", "name": "string"})
    frame["parent"] = frame["parent"].astype("string")
    return frame.reset_index(drop=True)


def parents_passage(communes: pd.DataFrame) -> pd.DataFrame:
    """Passage table from delegated / associated communes and arrondissements to their parent.

    Parameters
    ----------
    communes : pandas.DataFrame
        From :func:`read_commune_list`.

    Returns
    -------
    pandas.DataFrame
        ``code_from`` (child), ``code_to`` (parent commune), ``event``
        (``"commune déléguée → commune"``...), ``weight`` 1. A delegated
        commune sharing its parent's code (the former chef-lieu) maps to
        itself. Use with :func:`territobs.cog.convert.apply_passage`.

    Examples
    --------
    >>> c = pd.DataFrame({"code": ["01138", "01039"], "type": ["COM", "COMD"],
    ...                   "name": ["Culoz-Béon", "Béon"], "parent": [pd.NA, "01138"]})
    >>> parents_passage(c)[["code_from", "code_to"]].values.tolist()
    [['01039', '01138']]
    """
    labels = {
        "COMD": "commune déléguée → commune",
        "COMA": "commune associée → commune",
        "ARM": "arrondissement → commune",
    }
    attached = communes[
        communes["type"].isin(list(labels)) & communes["parent"].notna()
    ]
    attached = attached[attached["code"] != attached["parent"]]
    return (
        pd.DataFrame(
            {
                "code_from": attached["code"].astype("string"),
                "code_to": attached["parent"].astype("string"),
                "event": attached["type"].map(labels).astype("string"),
                "weight": 1.0,
            }
        )
        .drop_duplicates(["code_from", "code_to"])
        .reset_index(drop=True)
    )
