"""Readers of INSEE's commune change history ("mouvements des communes").

Two layouts are read into one canonical *event table*, one row per territorial
flow between two communes at one date:

- the current CSV layout (``v_mvt_commune_YYYY.csv``, COG 2019 onwards):
  ``MOD,DATE_EFF,TYPECOM_AV,COM_AV,TNCC_AV,NCC_AV,NCCENR_AV,LIBELLE_AV,
  TYPECOM_AP,COM_AP,TNCC_AP,NCC_AP,NCCENR_AP,LIBELLE_AP``, UTF-8, comma
  separated, ISO dates, two-digit event codes;
- the old ``historiq`` text layout (COG up to 2018): tab separated, latin-1,
  CRLF, dates ``dd-mm-yyyy``, one row per commune and event with the partner in
  ``COMECH`` and three-digit event codes.

Only flows between *communes* (``TYPECOM = COM``) are kept: attachment changes
of delegated or associated communes do not move any territory between
communes. Name changes are kept as identity rows (``code_av == code_ap``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from territobs.errors import SourceFormatError, format_codes, where

__all__ = [
    "EVENT_COLUMNS",
    "read_historiq",
    "read_history",
    "read_mvt_commune",
]

#: Columns of the canonical event table, in order.
EVENT_COLUMNS = ["date", "event", "mod", "code_av", "code_ap", "name_av", "name_ap"]

#: Canonical event names (French, shown in conversion reports).
FUSION = "fusion"
SPLIT = "scission"
CODE_CHANGE = "changement de code"
RENAME = "changement de nom"

#: Current layout (two-digit ``MOD``) -> canonical event.
MVT_EVENTS = {
    "10": RENAME,
    "20": SPLIT,  # création (from parcels of existing communes)
    "21": SPLIT,  # rétablissement
    "30": SPLIT,  # suppression (territory shared between communes)
    "31": FUSION,  # fusion simple
    "32": FUSION,  # création de commune nouvelle
    "33": FUSION,  # fusion-association
    "34": FUSION,  # fusion-association devenant fusion simple
    "41": CODE_CHANGE,  # changement de département
    "50": CODE_CHANGE,  # transfert de chef-lieu
    "70": RENAME,  # commune associée devenant déléguée (no flow)
}

#: Columns of the current layout, as INSEE documents them.
MVT_COLUMNS = [
    "MOD",
    "DATE_EFF",
    "TYPECOM_AV",
    "COM_AV",
    "TNCC_AV",
    "NCC_AV",
    "NCCENR_AV",
    "LIBELLE_AV",
    "TYPECOM_AP",
    "COM_AP",
    "TNCC_AP",
    "NCC_AP",
    "NCCENR_AP",
    "LIBELLE_AP",
]

#: Old layout columns needed here.
HISTORIQ_COLUMNS = ["DEP", "COM", "EFF", "MOD", "C_LOFF", "C_LANC", "COMECH"]

# Old layout: the row's commune is absorbed into COMECH (310 fusion simple,
# 311/331 commune nouvelle, 330 fusion-association). 332/333/350/351 concern
# entities that were already associated or delegated: no commune-level flow.
_ABSORBED = {"310": FUSION, "311": FUSION, "330": FUSION, "331": FUSION}
# The row's commune (COMECH) gives territory to the row's commune (COM):
# 210 rétablissement, 200 création.
_POLES = {"312", "320", "321", "340", "341", "360"}
_RECEIVES_FROM_COMECH = {"210": SPLIT, "200": SPLIT}
# The row's commune keeps part of its territory (230 se séparant, 220 cède des
# parcelles) and 300 suppression sends it to COMECH (390 receivers).
_KEEPS = {"230", "220"}
_NAME_CHANGES = {"100", "110", "111", "120", "130", "140", "150"}


def _check_columns(
    frame: pd.DataFrame, expected: list[str], path: str | os.PathLike[str]
) -> None:
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise SourceFormatError(
            where(path)
            + f"colonnes {format_codes(missing)} absentes ; colonnes trouvées : "
            f"{format_codes(list(frame.columns), shown=8)}.",
            path=path,
            missing=missing,
        )


def _parse_dates(
    values: pd.Series,
    formats: tuple[str, ...],
    path: str | os.PathLike[str],
    column: str,
) -> pd.Series:
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in formats:
        parsed = parsed.fillna(pd.to_datetime(values, format=fmt, errors="coerce"))
    bad = parsed.isna() & values.notna()
    if bad.any():
        rows = [int(i) + 2 for i in values.index[bad]]
        raise SourceFormatError(
            where(path, column, rows[0]) + f"date illisible « {values[bad].iloc[0]} » "
            f"(formats attendus : {', '.join(formats)}).",
            path=path,
            column=column,
            row=rows[0],
            codes=list(values[bad]),
        )
    return parsed


def read_mvt_commune(path: str | os.PathLike[str]) -> pd.DataFrame:
    r"""Read an INSEE ``v_mvt_commune_YYYY.csv`` file (current layout).

    Parameters
    ----------
    path : str or path-like
        The CSV as INSEE publishes it (UTF-8, comma separated; a ``.gz``/
        ``.zip`` compressed copy works too).

    Returns
    -------
    pandas.DataFrame
        The event table: ``date`` (datetime64), ``event`` (``"fusion"``,
        ``"scission"``, ``"changement de code"``, ``"changement de nom"``),
        ``mod`` (INSEE's code, str), ``code_av``, ``code_ap`` (str),
        ``name_av``, ``name_ap``. Only commune-to-commune rows are kept.

    Raises
    ------
    SourceFormatError
        If a documented column is missing, a date is unreadable, or an event
        code is unknown.

    Notes
    -----
    A commune nouvelle appears as one row per former commune ``X → N``
    (plus ``COMD`` rows, dropped here); a rétablissement as
    ``P → P`` and ``P → R``: the share of ``P`` going to ``R`` is not in the
    file and is decided at conversion time from populations.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> csv = Path(tempfile.mkdtemp()) / "v_mvt_commune_2024.csv"
    >>> _ = csv.write_text(
    ...     "MOD,DATE_EFF,TYPECOM_AV,COM_AV,TNCC_AV,NCC_AV,NCCENR_AV,LIBELLE_AV,"
    ...     "TYPECOM_AP,COM_AP,TNCC_AP,NCC_AP,NCCENR_AP,LIBELLE_AP\n"
    ...     "32,2023-01-01,COM,01039,0,BEON,Béon,Béon,"
    ...     "COM,01138,0,CULOZ BEON,Culoz-Béon,Culoz-Béon\n"
    ...     "32,2023-01-01,COM,01138,0,CULOZ,Culoz,Culoz,"
    ...     "COM,01138,0,CULOZ BEON,Culoz-Béon,Culoz-Béon\n",
    ...     encoding="utf-8",
    ... )
    >>> events = read_mvt_commune(csv)
    >>> events[["date", "event", "code_av", "code_ap"]]
            date   event code_av code_ap
    0 2023-01-01  fusion   01039   01138
    1 2023-01-01  fusion   01138   01138
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    frame.columns = [c.strip().upper() for c in frame.columns]
    _check_columns(frame, MVT_COLUMNS[:4] + MVT_COLUMNS[8:10], path)
    unknown = sorted(set(frame["MOD"]) - set(MVT_EVENTS))
    if unknown:
        raise SourceFormatError(
            where(path, "MOD") + f"codes d'événement inconnus {format_codes(unknown)} "
            f"(connus : {', '.join(sorted(MVT_EVENTS))}).",
            path=path,
            column="MOD",
            codes=unknown,
        )
    communes = frame[(frame["TYPECOM_AV"] == "COM") & (frame["TYPECOM_AP"] == "COM")]
    dates = _parse_dates(communes["DATE_EFF"], ("%Y-%m-%d",), path, "DATE_EFF")
    name_av = communes.get("LIBELLE_AV", pd.Series("", index=communes.index))
    name_ap = communes.get("LIBELLE_AP", pd.Series("", index=communes.index))
    events = pd.DataFrame(
        {
            "date": dates,
            "event": communes["MOD"].map(MVT_EVENTS),
            "mod": communes["MOD"],
            "code_av": communes["COM_AV"],
            "code_ap": communes["COM_AP"],
            "name_av": name_av,
            "name_ap": name_ap,
        }
    )
    return _finish(events)


def read_historiq(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read INSEE's old ``historiq`` text file (COG up to 2018).

    Parameters
    ----------
    path : str or path-like
        The tab-separated latin-1 file (``historiq2018.txt``), possibly
        gzipped.

    Returns
    -------
    pandas.DataFrame
        The event table (see :func:`read_mvt_commune`).

    Raises
    ------
    SourceFormatError
        If a needed column is missing or a date is unreadable.

    Notes
    -----
    Flows derived from the three-digit ``MOD`` codes, with ``C = DEP + COM``
    the row's commune and ``E = COMECH`` its partner:

    - 310, 311, 330, 331 (absorbed commune): ``C → E`` (fusion);
    - 210, 200 (restored or created commune): ``E → C`` (scission), and
      230, 220 (commune giving territory): ``C → C``;
    - 300 (commune deleted, territory shared): ``C → E`` (scission);
    - 410, 411 (change of département): ``DEPANC → C`` (old full code in
      ``DEPANC``); 500 (transfer of chef-lieu): ``C_LANC → C_LOFF``;
    - 1xx: identity rows (name changes).

    - 320, 321, 340, 341, 360, 312 (pôle of a fusion, one row per member):
      ``E → C`` (fusion), unless ``E`` had already been absorbed before (and
      not restored since): it is then a delegated or associated entity, not a
      commune. This is the only trace of a commune nouvelle joining another.

    Rows about delegated or associated entities (332, 333, 350, 351, 700)
    move no territory between communes and are dropped.

    Examples
    --------
    Skipped by the doctests: ``historiq2018.txt`` (INSEE, 2 MB) is not shipped;
    ``tests/cog/test_history.py`` reads it when ``shared/data`` is present.

    >>> events = read_historiq("historiq2018.txt")  # doctest: +SKIP
    """
    frame = pd.read_csv(
        path, sep="\t", dtype=str, keep_default_na=False, encoding="latin-1"
    )
    frame.columns = [c.strip() for c in frame.columns]
    _check_columns(frame, [*HISTORIQ_COLUMNS, "DEPANC"], path)
    dates = _parse_dates(frame["EFF"], ("%d-%m-%Y",), path, "EFF")
    code = frame["DEP"].str.strip() + frame["COM"].str.strip()
    mod = frame["MOD"].str.strip()
    partner = frame["COMECH"].str.strip()
    name = frame.get("NCCOFF", pd.Series("", index=frame.index))
    parts = []

    def add(
        mask: pd.Series, av: pd.Series, ap: pd.Series, event: str | pd.Series
    ) -> None:
        parts.append(
            pd.DataFrame(
                {
                    "date": dates[mask],
                    "event": event if isinstance(event, str) else event[mask],
                    "mod": mod[mask],
                    "code_av": av[mask],
                    "code_ap": ap[mask],
                    "name_av": "",
                    "name_ap": name[mask],
                }
            )
        )

    absorbed = mod.isin(list(_ABSORBED)) & (partner != "")
    add(absorbed, code, partner, FUSION)
    # A pôle row lists every member of the fusion (the only commune-level
    # trace when a commune nouvelle joins another one); members that had
    # already been absorbed (and not restored since) are delegated or
    # associated entities, not communes: they are skipped.
    pole = mod.isin(list(_POLES)) & (partner != "")
    lost = absorbed & (partner != code)
    back = mod.isin(list(_RECEIVES_FROM_COMECH))
    add(
        pole
        & _was_commune(
            partner, dates, code[lost], dates[lost], code[back], dates[back]
        ),
        partner,
        code,
        FUSION,
    )
    restored = mod.isin(list(_RECEIVES_FROM_COMECH)) & (partner != "")
    add(restored, partner, code, SPLIT)
    add(mod.isin(list(_KEEPS)), code, code, SPLIT)
    add((mod == "300") & (partner != ""), code, partner, SPLIT)
    dep_change = mod.isin(["410", "411"]) & (frame["DEPANC"].str.len() == 5)
    add(dep_change, frame["DEPANC"], code, CODE_CHANGE)
    chef_lieu = (mod == "500") & (frame["C_LANC"] != "") & (frame["C_LOFF"] != "")
    add(chef_lieu, frame["C_LANC"], frame["C_LOFF"], CODE_CHANGE)
    add(mod.isin(list(_NAME_CHANGES)), code, code, RENAME)
    events = pd.concat(parts, ignore_index=True)
    return _finish(events.drop_duplicates(["date", "code_av", "code_ap", "event"]))


def _was_commune(
    members: pd.Series,
    dates: pd.Series,
    lost_codes: pd.Series,
    lost_dates: pd.Series,
    back_codes: pd.Series,
    back_dates: pd.Series,
) -> pd.Series:
    """Whether each member was a commune just before its date."""
    last_lost: dict[str, list[pd.Timestamp]] = {}
    for c, d in zip(lost_codes, lost_dates, strict=True):
        last_lost.setdefault(c, []).append(d)
    last_back: dict[str, list[pd.Timestamp]] = {}
    for c, d in zip(back_codes, back_dates, strict=True):
        last_back.setdefault(c, []).append(d)
    out = []
    for c, d in zip(members, dates, strict=True):
        lost = max((x for x in last_lost.get(c, ()) if x < d), default=None)
        back = max((x for x in last_back.get(c, ()) if x < d), default=None)
        out.append(lost is None or (back is not None and back > lost))
    return pd.Series(out, index=members.index)


def read_history(path: str | os.PathLike[str]) -> pd.DataFrame:
    r"""Read a commune change history in either INSEE layout.

    Parameters
    ----------
    path : str or path-like
        ``v_mvt_commune_YYYY.csv`` (current) or ``historiqYYYY.txt`` (old).

    Returns
    -------
    pandas.DataFrame
        The event table (see :func:`read_mvt_commune`).

    Raises
    ------
    SourceFormatError
        If the layout is neither.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> csv = Path(tempfile.mkdtemp()) / "v_mvt_commune_2024.csv"
    >>> _ = csv.write_text(
    ...     "MOD,DATE_EFF,TYPECOM_AV,COM_AV,TNCC_AV,NCC_AV,NCCENR_AV,LIBELLE_AV,"
    ...     "TYPECOM_AP,COM_AP,TNCC_AP,NCC_AP,NCCENR_AP,LIBELLE_AP\n"
    ...     "32,2023-01-01,COM,01039,0,BEON,Béon,Béon,"
    ...     "COM,01138,0,CULOZ BEON,Culoz-Béon,Culoz-Béon\n"
    ...     "32,2023-01-01,COM,01138,0,CULOZ,Culoz,Culoz,"
    ...     "COM,01138,0,CULOZ BEON,Culoz-Béon,Culoz-Béon\n",
    ...     encoding="utf-8",
    ... )
    >>> read_history(csv)["event"].tolist()     # v_mvt_commune layout found
    ['fusion', 'fusion']
    """
    head = pd.read_csv(path, nrows=0, sep=None, engine="python", encoding="latin-1")
    columns = {c.strip().upper() for c in head.columns}
    if {"MOD", "DATE_EFF", "COM_AV", "COM_AP"} <= columns:
        return read_mvt_commune(path)
    if {"MOD", "EFF", "COMECH"} <= columns:
        return read_historiq(path)
    raise SourceFormatError(
        where(path) + "ni un fichier des mouvements des communes (v_mvt_commune : MOD, "
        "DATE_EFF, COM_AV, COM_AP) ni un ancien fichier historiq (MOD, EFF, "
        "COMECH).",
        path=Path(path),
    )


def _finish(events: pd.DataFrame) -> pd.DataFrame:
    events = events[EVENT_COLUMNS].astype(
        {c: "string" for c in EVENT_COLUMNS if c != "date"}
    )
    order = events["event"].map({CODE_CHANGE: 0}).fillna(1)
    events = events.assign(_order=order).sort_values(
        ["date", "_order", "code_av", "code_ap"], kind="stable"
    )
    return events.drop(columns="_order").reset_index(drop=True)
