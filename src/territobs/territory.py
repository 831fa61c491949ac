"""Join indicator tables to their units: the territory.

:func:`build_territory` puts the variables of one or more indicator tables
(from :func:`~territobs.io.insee.read_insee`, :func:`~territobs.io.caf.read_caf`...)
on the units of a boundary frame (from
:func:`~territobs.io.boundaries.read_boundaries`), matching on ``code`` and
reporting every code that finds no partner. Nothing is coerced: codes are
strings on both sides, and a mismatch is reported, never "fixed".
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from territobs.catalog.kinds import is_count
from territobs.codes import (
    LEVELS,
    PLM_COMMUNES,
    arrondissement_to_commune,
    is_arrondissement,
)
from territobs.errors import (
    CRSError,
    JoinError,
    MissingValuesWarning,
    UnmatchedCodesWarning,
    format_codes,
)
from territobs.formatting import count_of

__all__ = ["build_territory"]

logger = logging.getLogger(__name__)

SECRET_SUFFIX = "__secret"
_RESERVED = {"code", "name", "level", "pseudo", "geometry"}


def _label(table: pd.DataFrame, position: int) -> str:
    source = table.attrs.get("territobs", {}).get("source")
    return f"tableau « {source} »" if source else f"tableau n° {position + 1}"


def _components(table: pd.DataFrame) -> list[str]:
    """Numeric variable columns of an indicator table (not flags, not ids)."""
    return [
        col
        for col in table.columns
        if col not in _RESERVED
        and not str(col).endswith(SECRET_SUFFIX)
        and pd.api.types.is_numeric_dtype(table[col])
        and not pd.api.types.is_bool_dtype(table[col])
    ]


def _looks_like_variable(column: object) -> bool:
    """Tell whether a column name is a producer variable (not a label)."""
    from territobs.errors import ConfigError
    from territobs.io.insee import is_variable_name

    if is_variable_name(str(column)):
        return True
    try:
        _catalog().get(str(column))
    except ConfigError:
        return False
    return True


def _sample(values: pd.Series) -> object:
    """Return the first non-blank value of a column (for messages)."""
    filled = values[values.notna() & (values.astype(str).str.strip() != "")]
    return filled.iloc[0] if len(filled) else "(vide)"


def _prepare(
    table: pd.DataFrame, label: str, report: dict[str, Any]
) -> tuple[pd.DataFrame, list[str]]:
    """Check one table and keep ``code``, its components and their flags."""
    if "code" not in table.columns:
        raise JoinError(
            f"{label} : pas de colonne « code ». Colonnes : "
            f"{format_codes(list(table.columns), shown=10)}. Lisez le fichier avec "
            "read_insee / read_caf, qui la créent.",
            columns=list(table.columns),
        )
    if "pseudo" in table.columns:
        pseudo = table["pseudo"].to_numpy(dtype=bool)
        if pseudo.any():
            report["pseudo_rows"][label] = table.loc[pseudo, "code"].tolist()
            table = table.loc[~pseudo]
    codes = table["code"]
    if not all(isinstance(c, str) for c in codes):
        bad = [c for c in codes if not isinstance(c, str)][:5]
        raise JoinError(
            f"{label} : codes qui ne sont pas du texte ({format_codes(bad)}) : "
            "un code lu comme un nombre a pu perdre son zéro initial.",
            codes=bad,
        )
    duplicated = codes[codes.duplicated(keep=False)]
    if not duplicated.empty:
        unique = list(dict.fromkeys(duplicated.tolist()))
        raise JoinError(
            f"{label} : {count_of(len(unique), 'code en double', 'codes en double')} : "
            f"{format_codes(unique)}.",
            codes=unique,
        )
    components = _components(table)
    ignored = [
        c
        for c in table.columns
        if c not in _RESERVED and c not in components and not c.endswith(SECRET_SUFFIX)
    ]
    if ignored:
        report["text_columns_ignored"][label] = ignored
        variables = [c for c in ignored if _looks_like_variable(c)]
        if variables:
            samples = [_sample(table[c]) for c in variables]
            warnings.warn(
                MissingValuesWarning(
                    f"{label} : "
                    + (
                        f"la colonne {format_codes(variables)} a le nom d'une "
                        "variable mais n'est pas numérique"
                        if len(variables) == 1
                        else f"les colonnes {format_codes(variables)} ont le nom "
                        "d'une variable mais ne sont pas numériques"
                    )
                    + f" (par ex. « {samples[0]} ») : "
                    + (
                        "elle est laissée"
                        if len(variables) == 1
                        else "elles sont laissées"
                    )
                    + " de côté. Relisez le fichier en corrigeant l'écriture des "
                    "nombres ou les marqueurs de secret (secret_markers).",
                    columns=variables,
                    samples=samples,
                    table=label,
                ),
                stacklevel=4,
            )
    keep = ["code"]
    for col in components:
        keep.append(col)
        if f"{col}{SECRET_SUFFIX}" in table.columns:
            keep.append(f"{col}{SECRET_SUFFIX}")
    out = table[keep]
    flags = {
        f"{col}{SECRET_SUFFIX}": (
            out[f"{col}{SECRET_SUFFIX}"].fillna(False).astype(bool)
            if f"{col}{SECRET_SUFFIX}" in out.columns
            else pd.Series(False, index=out.index)
        )
        for col in components
    }
    # built in one concat: a column at a time fragments wide INSEE tables
    out = pd.concat([out[["code", *components]], pd.DataFrame(flags)], axis=1)
    order = ["code"] + [c for col in components for c in (col, f"{col}{SECRET_SUFFIX}")]
    return out[order], components


#: French names of the levels, for messages.
_LEVEL_NAMES = {
    "commune": "de communes",
    "arrondissement": "d'arrondissements municipaux",
    "iris": "d'IRIS",
    "epci": "d'EPCI",
    "departement": "de départements",
    "region": "de régions",
}


def _joinable_level(level: object) -> str | None:
    """Return the level used to compare for joining (arrondissement → commune)."""
    if not isinstance(level, str) or level not in LEVELS:
        return None
    return "commune" if level == "arrondissement" else level


def _table_level(table: pd.DataFrame) -> str | None:
    """Return the declared or guessed level of an indicator table, when known."""
    declared = _joinable_level(table.attrs.get("territobs", {}).get("level"))
    if declared is not None or "level" not in table.columns:
        return declared
    found = {_joinable_level(v) for v in set(table["level"].dropna()) - {"pseudo"}}
    return found.pop() if len(found) == 1 else None


def _check_levels(
    table: pd.DataFrame, unit_levels: set[str | None], label: str
) -> None:
    """Refuse a table whose level is not the units' one (codes would collide)."""
    level = _table_level(table)
    if level is None or not unit_levels or None in unit_levels:
        return
    if level in unit_levels:
        return
    found = sorted(unit_levels)  # type: ignore[type-var]
    units_text = " et ".join(f"{_LEVEL_NAMES[lvl]} (« {lvl} »)" for lvl in found)  # type: ignore[index]
    raise JoinError(
        f"{label} : tableau {_LEVEL_NAMES[level]} (niveau « {level} ») joint à des "
        f"unités {units_text} : les codes d'un niveau ne désignent pas les "
        "territoires d'un autre (« 93 » est la Seine-Saint-Denis parmi les "
        "départements, Provence-Alpes-Côte d'Azur parmi les régions). Joignez le "
        "tableau à des unités du même niveau ; si son niveau a été mal deviné, "
        "relisez-le en le précisant (level=...).",
        table=label,
        table_level=level,
        unit_levels=sorted(unit_levels),
    )


#: Names of rates, medians, quantiles, means...: values that do not add up.
#: Filosofi variables (``MED21``, ``DISP_TP6015``, ``D121``, ``PACT21``...)
#: except its counts (``NBMENFISC21``, ``NBPERSMENFISC21``, ``NBUC21``).
_FILOSOFI_NOT_COUNT = re.compile(
    r"^(?:DISP_|DEC_|DISP|DEC)?(?:PMIMP|MED|TP\d{2}|TP60AGE\d|TP60TOL\d|Q[1-3]|D[1-9]|"
    r"RD|S80S20|GI|EQ|PACT|PTSA|PCHO|PBEN|PPEN|PPAT|PPSOC|PPFAM|PPMINI|PPLOGT|"
    r"PIMPOT|NOTE)(?:\d{2})?$"
)
#: Words of a column name meaning a rate, a share, a mean or a median.
_NOT_COUNT_WORDS = frozenset(
    {"MED", "MEDIAN", "MEDIANE", "MOY", "MOYEN", "MOYENNE", "MEAN", "AVG", "RT"}
    | {"TX", "TAUX", "PCT", "PC", "PART", "PARTS", "RATIO", "RATE", "SHARE", "INDICE"}
)
_NOT_COUNT_PREFIXES = ("MED", "PCT", "TAUX", "TX", "MOY")


@functools.lru_cache(maxsize=1)
def _catalog() -> Any:
    from territobs.catalog import default_catalog

    return default_catalog()


def _summable(column: str) -> bool:
    """Tell whether a column holds counts, which add up over arrondissements.

    The default catalogue decides for the variables it knows (only ``count``
    indicators add up); other names are summed unless they look like a rate,
    a median, a quantile or a mean (``MED21``, ``TP6021``, ``D121``,
    ``TX_CHOM``, ``PCT_HLM``...).
    """
    from territobs.errors import ConfigError

    try:
        indicator = _catalog().get(str(column))
    except ConfigError:
        indicator = None
    if indicator is not None:
        return is_count(indicator.kind)
    name = str(column).upper()
    if _FILOSOFI_NOT_COUNT.match(name):
        return False
    words = [w for w in re.split(r"[^A-Z0-9]+", name) if w]
    return not any(
        w in _NOT_COUNT_WORDS or w.startswith(_NOT_COUNT_PREFIXES) for w in words
    )


def _aggregate_arrondissements(
    table: pd.DataFrame,
    components: list[str],
    unit_codes: set[str],
    label: str,
    report: dict[str, Any],
) -> pd.DataFrame:
    """Sum Paris/Lyon/Marseille arrondissement rows onto their commune."""
    arr = table["code"].map(is_arrondissement).to_numpy(dtype=bool) & ~table[
        "code"
    ].isin(unit_codes).to_numpy(dtype=bool)
    if not arr.any():
        return table
    parts = table.loc[arr].copy()
    parts["code"] = parts["code"].map(arrondissement_to_commune)
    present = parts["code"].isin(set(table["code"]))
    if present.any():
        # the table has the commune row itself: keep it, leave the parts.
        report["arrondissements_unused"][label] = table.loc[arr, "code"][
            present.to_numpy()
        ].tolist()
        parts = parts.loc[~present]
    flags = [f"{c}{SECRET_SUFFIX}" for c in components]
    grouped = parts.groupby("code", sort=True)
    sums = grouped[components].sum()
    # a sum with a masked or missing part is unknown: NaN, and flagged.
    missing = parts[components].isna().groupby(parts["code"]).any()
    sums = sums.mask(missing)
    secret = grouped[flags].any() | missing.set_axis(flags, axis=1)
    # rates, medians, means...: a sum means nothing; missing, not secret.
    not_summed = [c for c in components if not _summable(c)]
    if not_summed and len(sums):
        sums[not_summed] = float("nan")
        secret[[f"{c}{SECRET_SUFFIX}" for c in not_summed]] = False
        communes = sorted(sums.index)
        report["arrondissements_not_summed"][label] = {
            commune: list(not_summed) for commune in communes
        }
        warnings.warn(
            MissingValuesWarning(
                f"{label} : "
                + (
                    f"la variable {format_codes(not_summed)} n'est pas un effectif"
                    if len(not_summed) == 1
                    else f"les variables {format_codes(not_summed)} ne sont pas des "
                    "effectifs"
                )
                + " (taux, médiane, moyenne...) : les valeurs des arrondissements "
                "ne s'additionnent pas, la valeur reste vide pour "
                + ("la commune " if len(communes) == 1 else "les communes ")
                + f"{format_codes(communes)}. Utilisez un tableau qui a une ligne "
                "pour la commune elle-même, ou recalculez l'indicateur à partir de "
                "ses composantes (recompute).",
                codes=communes,
                columns=not_summed,
                table=label,
            ),
            stacklevel=4,
        )
    summed = pd.concat([sums, secret], axis=1).reset_index()[table.columns]
    report["arrondissements_summed"][label] = sorted(summed["code"])
    logger.info(
        "%s : arrondissements additionnés sur leur commune (%s) pour %d variables.",
        label,
        ", ".join(summed["code"]),
        len(components),
    )
    return pd.concat([table.loc[~arr], summed], ignore_index=True)


def _report_unmatched(
    codes: list[str],
    message: str,
    on_unmatched: str,
    *,
    direction: str,
    table: str,
    hint: str = "",
) -> None:
    if not codes:
        return
    text = f"{message} ({len(codes)}) : {format_codes(codes)}."
    if hint:
        text += " " + hint
    if on_unmatched == "raise":
        raise JoinError(text, codes=codes, direction=direction, table=table)
    warnings.warn(
        UnmatchedCodesWarning(text, codes=codes, direction=direction, table=table),
        stacklevel=3,
    )


def build_territory(
    units: gpd.GeoDataFrame,
    tables: pd.DataFrame | Sequence[pd.DataFrame],
    *,
    how: Literal["left", "inner"] = "left",
    on_unmatched: Literal["warn", "raise"] = "warn",
    arrondissements: Literal["aggregate", "keep"] = "aggregate",
) -> gpd.GeoDataFrame:
    r"""Join indicator tables to units on ``code``, reporting what does not match.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        A canonical unit frame (``code``, ``name``, ``level``, ``geometry``)
        in a projected CRS.
    tables : DataFrame or sequence of DataFrame
        Indicator tables with a ``code`` column (str). Their numeric columns
        are the components joined; text columns (``LIBCOM``...) are left
        out; ``"{variable}__secret"`` flags come along. CAF pseudo-communes
        (``pseudo=True``) are never joined.
    how : {"left", "inner"}, default "left"
        ``"left"`` keeps every unit (NaN where a table has no row);
        ``"inner"`` keeps the units found in every table.
    on_unmatched : {"warn", "raise"}, default "warn"
        What to do with table codes without unit and units without row.
    arrondissements : {"aggregate", "keep"}, default "aggregate"
        With commune units, sum Paris/Lyon/Marseille arrondissement rows
        (75101-75120, 69381-69389, 13201-13216) onto 75056, 69123, 13055
        (counts only, see Notes); ``"keep"`` leaves them to match
        arrondissement units (or to be reported unmatched).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per unit: ``code``, ``name``, ``level``, the units' other
        columns, then each component (float) followed by its
        ``"{component}__secret"`` flag (False where the table had no marker or
        no row), and ``geometry``. ``attrs["territobs"]["join"]`` records
        the unmatched codes, summed arrondissements, pseudo rows and ignored
        text columns per table.

    Raises
    ------
    JoinError
        A table of another level than the units (a region table on
        départements: codes such as ``93`` name different territories at the
        two levels; commune tables with arrondissement rows and commune or
        arrondissement units are compatible), a table without ``code``,
        with non-text or duplicated codes; the same
        component in two tables or in the units; no code in common; and,
        with ``on_unmatched="raise"``, any unmatched code (``error.codes``).
    CRSError
        Units without CRS or in a geographic CRS.

    Warns
    -----
    UnmatchedCodesWarning
        With ``on_unmatched="warn"``: once per table and direction, counts
        in the message, every code on ``warning.codes``;
        ``warning.direction`` is ``"table"`` (codes without unit) or
        ``"units"`` (units without row).
    MissingValuesWarning
        When arrondissement rows are aggregated and some components are not
        counts: the message names the components and the communes.

    Notes
    -----
    Only counts add up: arrondissement rows are summed for the components
    that the default catalogue knows as counts (``P21_POP``,
    ``NB_allocataires``) or whose name does not look like a rate, a median,
    a quantile or a mean. For the others (``TP6021``, ``MED21``, ``D121``,
    ``TX_CHOM``, ``PCT_HLM``...) the commune value is left NaN, not flagged
    secret (it is missing, not masked), listed in the report under
    ``arrondissements_not_summed`` and warned about; the catalogue rebuilds
    such ratios from their components
    (:math:`r = \sum_i num_i / \sum_i den_i`). A sum with a masked or
    missing part is NaN and flagged secret. When a table holds both the
    commune row and its arrondissements, the commune row is kept (with all
    its values) and the arrondissements are listed in the report.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame(
    ...     {"code": ["75056", "93001"], "name": ["Paris", "Aubervilliers"],
    ...      "level": ["commune", "commune"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=2154)
    >>> table = pd.DataFrame({"code": ["75101", "75102", "93001"],
    ...                       "P21_POP": [16000.0, 21000.0, 87000.0]})
    >>> terr = build_territory(units, table)
    >>> terr[["code", "P21_POP", "P21_POP__secret"]].values.tolist()
    [['75056', 37000.0, False], ['93001', 87000.0, False]]
    """
    if "code" not in units.columns or not isinstance(units, gpd.GeoDataFrame):
        raise JoinError(
            "les unités doivent être un GeoDataFrame avec une colonne « code » "
            "(lisez-les avec read_boundaries)."
        )
    if units.crs is None or not units.crs.is_projected:
        raise CRSError(
            "les unités doivent être dans un CRS projeté (mètres) ; CRS actuel : "
            f"{units.crs.name if units.crs is not None else 'aucun'}. Lisez-les avec "
            "read_boundaries(..., to_crs='auto') ou reprojetez (to_crs(2154)).",
            crs=None if units.crs is None else units.crs.to_string(),
        )
    duplicated = units["code"][units["code"].duplicated(keep=False)]
    if not duplicated.empty:
        unique = list(dict.fromkeys(duplicated.tolist()))
        raise JoinError(
            f"unités : {count_of(len(unique), 'code en double', 'codes en double')} : "
            f"{format_codes(unique)}.",
            codes=unique,
        )
    if isinstance(tables, pd.DataFrame):
        tables = [tables]
    if how not in ("left", "inner"):
        raise ValueError(f"how={how!r} invalide : 'left' ou 'inner'.")
    if on_unmatched not in ("warn", "raise"):
        raise ValueError(f"on_unmatched={on_unmatched!r} invalide : 'warn' ou 'raise'.")
    if arrondissements not in ("aggregate", "keep"):
        raise ValueError(
            f"arrondissements={arrondissements!r} invalide : 'aggregate' ou 'keep'."
        )
    report: dict[str, Any] = {
        key: {}
        for key in (
            "table_codes_without_unit",
            "units_without_row",
            "arrondissements_summed",
            "arrondissements_not_summed",
            "arrondissements_unused",
            "pseudo_rows",
            "text_columns_ignored",
        )
    }
    unit_codes = set(units["code"])
    commune_units = bool(unit_codes & set(PLM_COMMUNES)) or not any(
        is_arrondissement(c) for c in unit_codes
    )
    owners: dict[str, str] = {c: "unités" for c in units.columns if c not in _RESERVED}
    result = pd.DataFrame({"code": units["code"].to_numpy()})
    unit_levels = (
        {_joinable_level(v) for v in set(units["level"].dropna())}
        if "level" in units.columns
        else set()
    )
    for position, table in enumerate(tables):
        label = _label(table, position)
        _check_levels(table, unit_levels, label)
        prepared, components = _prepare(table, label, report)
        for col in components:
            if col in owners:
                raise JoinError(
                    f"colonne « {col} » présente dans {owners[col]} et dans {label} : "
                    "renommez-la dans l'un des deux avant de joindre.",
                    column=col,
                )
            owners[col] = label
        if arrondissements == "aggregate" and commune_units:
            prepared = _aggregate_arrondissements(
                prepared, components, unit_codes, label, report
            )
        table_codes = set(prepared["code"])
        matched = table_codes & unit_codes
        if not matched:
            levels = sorted(set(table.get("level", pd.Series(dtype=str)).astype(str)))
            raise JoinError(
                f"{label} : aucun code commun avec les unités (niveau du tableau : "
                f"{', '.join(levels) or 'inconnu'} ; niveau des unités : "
                f"{', '.join(sorted(set(units.get('level', pd.Series(dtype=str)).astype(str))))}). "
                f"Codes du tableau : {format_codes(sorted(table_codes))}.",
                codes=sorted(table_codes),
            )
        orphan = sorted(table_codes - unit_codes)
        missing = sorted(unit_codes - table_codes)
        report["table_codes_without_unit"][label] = orphan
        report["units_without_row"][label] = missing
        from territobs.cog.explain import explain_unmatched

        hint = explain_unmatched(
            orphan, missing, all_table_codes=table_codes, all_unit_codes=unit_codes
        ).text()
        _report_unmatched(
            orphan,
            f"{label} : codes sans unité correspondante",
            on_unmatched,
            direction="table",
            table=label,
            hint=hint,
        )
        _report_unmatched(
            missing,
            f"{label} : unités sans ligne dans le tableau"
            + (" (retirées, how='inner')" if how == "inner" else ""),
            on_unmatched,
            direction="units",
            table=label,
            hint="" if orphan else hint,
        )
        result = result.merge(prepared, on="code", how=how, validate="one_to_one")
        for col in components:
            flag = f"{col}{SECRET_SUFFIX}"
            result[flag] = result[flag].fillna(False).astype(bool)
    base = units.set_index("code").loc[result["code"]].reset_index()
    geometry = base.geometry.name
    front = [c for c in base.columns if c != geometry]
    out = pd.concat(
        [base[front], result.drop(columns=["code"]).set_index(base.index)], axis=1
    )
    territory = gpd.GeoDataFrame(out, geometry=base.geometry.to_numpy(), crs=units.crs)
    territory.attrs["territobs"] = {**units.attrs.get("territobs", {}), "join": report}
    return territory
