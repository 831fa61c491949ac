"""French geographic codes: normalise, validate, and relate them.

Codes are strings, always: commune ``"01001"``, Corsica ``"2A004"``, IRIS
``"751010101"``, EPCI SIREN ``"200054781"``, département ``"01"`` or ``"971"``.
A code that lost its leading zero because a spreadsheet or a CSV reader took
it for a number (``1001``) is detected and reported with the likely original
(``"01001"``); it is never silently "fixed".

Functions taking one code raise :class:`~territobs.errors.CodeError`;
:func:`normalize_codes` works on a whole column and reports every bad row in
one error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd

from territobs.errors import CodeError, format_codes, where

__all__ = [
    "LEVELS",
    "PLM_COMMUNES",
    "REGION_CODES",
    "Level",
    "arrondissement_to_commune",
    "departement_of",
    "departement_or_region",
    "is_arrondissement",
    "is_valid",
    "level_of",
    "normalize_code",
    "normalize_codes",
]

Level = Literal["commune", "arrondissement", "iris", "epci", "departement", "region"]
LEVELS: tuple[str, ...] = get_args(Level)

#: French names of the levels, for messages.
LEVEL_LABELS = {
    "commune": "code commune",
    "arrondissement": "code d'arrondissement municipal",
    "iris": "code IRIS",
    "epci": "SIREN d'EPCI",
    "departement": "code département",
    "region": "code région",
}

_DEP = r"(?:0[1-9]|1\d|2[1-9]|[3-8]\d|9[0-5]|2A|2B)"
_PATTERNS = {
    # metropolitan and Corsica, overseas départements (971-976), overseas
    # collectivities (975 Saint-Pierre, 977/978, 98x) have 3-digit prefixes.
    "commune": re.compile(rf"^(?:{_DEP}\d{{3}}|97[1-8]\d{{2}}|98[4-9]\d{{2}})$"),
    "arrondissement": re.compile(
        r"^(?:751(?:0[1-9]|1\d|20)|6938[1-9]|132(?:0[1-9]|1[0-6]))$"
    ),
    "iris": re.compile(rf"^(?:{_DEP}\d{{3}}|97[1-8]\d{{2}})\d{{4}}$"),
    "epci": re.compile(r"^\d{9}$"),
    "departement": re.compile(rf"^(?:{_DEP}|97[1-8]|98[4-9])$"),
    "region": re.compile(r"^\d{2}$"),
}
_LENGTHS = {
    "commune": 5,
    "arrondissement": 5,
    "iris": 9,
    "epci": 9,
    "departement": 2,
    "region": 2,
}
_EXAMPLES = {
    "commune": "01001",
    "arrondissement": "75101",
    "iris": "010040101",
    "epci": "200054781",
    "departement": "01",
    "region": "84",
}

#: The three communes split into municipal arrondissements, and their ranges.
PLM_COMMUNES = {
    "75056": ("75101", "75120"),  # Paris
    "69123": ("69381", "69389"),  # Lyon
    "13055": ("13201", "13216"),  # Marseille
}

#: Region codes: the regions since 2016 and those of 1982-2015 (older
#: vintages). Every one of them is also a valid département code.
REGION_CODES: frozenset[str] = frozenset(
    {"01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53"}
    | {"75", "76", "84", "93", "94"}
    | {"21", "22", "23", "25", "26", "31", "41", "42", "43", "54", "72", "73"}
    | {"74", "82", "83", "91"}
)

_REGION_WORDS = re.compile(
    r"(?:^|[^A-Z])(?:REG|REGIONS?|LIBREG|CODEREG|NOMREG)(?:[^A-Z]|$)"
)
_DEPARTEMENT_WORDS = re.compile(
    r"(?:^|[^A-Z])(?:DEP|DEPT|DEPTS|DEPARTEMENTS?|LIBDEP|CODEDEP|NOMDEP)(?:[^A-Z]|$)"
)

#: Markers INSEE uses for "no such unit" in supra-communal columns.
NO_UNIT_MARKERS = frozenset({"ZZZZZZZZZ", "ZZZZZ", "ZZ"})


def _check_level(level: str) -> None:
    if level not in _PATTERNS:
        raise ValueError(
            f"niveau « {level} » inconnu ; niveaux possibles : {', '.join(LEVELS)}"
        )


def _clean(code: object) -> str:
    text = str(code).strip().upper()
    # Corsica in lower case ("2a004") is harmless; nothing else is rewritten.
    return text


def _lost_zero(text: str, level: str) -> bool:
    """Whether ``text`` looks like a valid code of ``level`` minus a leading 0."""
    return bool(_PATTERNS[level].match("0" + text))


def _explain(text: str, level: str) -> str:
    label = LEVEL_LABELS[level]
    expected = _LENGTHS[level]
    msg = (
        f"{label} « {text} » invalide ({expected} caractères attendus, "
        f"par ex. « {_EXAMPLES[level]} »)."
    )
    as_float = re.fullmatch(r"(\d+)\.0+", text)
    if as_float and _lost_zero(as_float.group(1), level):
        msg += (
            f" Il a été écrit comme un nombre décimal et a perdu son zéro initial "
            f"(« 0{as_float.group(1)} ») : la colonne a été lue ou enregistrée comme "
            "un nombre ; relisez-la comme du texte (dtype=str)."
        )
    elif _lost_zero(text, level):
        msg += (
            f" Il a sans doute perdu son zéro initial (« 0{text} ») : la colonne a "
            "été lue comme un nombre ; relisez-la comme du texte (dtype=str)."
        )
    elif (level == "commune" and re.fullmatch(r"20\d{3}", text)) or (
        level == "iris" and re.fullmatch(r"20\d{7}", text)
    ):
        msg += " Les codes de Corse commencent par 2A ou 2B depuis 1976."
    if level != "iris" and re.fullmatch(r"\d[\dAB]\d{7}", text):
        msg += (
            " Un code de 9 caractères est celui d'un IRIS (ou le SIREN d'un EPCI) : "
            "précisez le niveau du tableau (level=...)."
        )
    return msg


def is_valid(code: object, level: Level) -> bool:
    """Tell whether ``code`` is a well-formed code of ``level``.

    Parameters
    ----------
    code : object
        The code; it must already be a string (an ``int`` is never valid, even
        ``75056``: a code read as a number has lost its type).
    level : {"commune", "arrondissement", "iris", "epci", "departement", "region"}
        The geographic level.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_valid("2A004", "commune"), is_valid("1001", "commune")
    (True, False)
    """
    _check_level(level)
    if not isinstance(code, str):
        return False
    return bool(_PATTERNS[level].match(_clean(code)))


def normalize_code(code: object, level: Level) -> str:
    """Return the canonical form of one code, or raise.

    Surrounding spaces are stripped and Corsica's ``2a``/``2b`` upper-cased;
    nothing else is changed.

    Parameters
    ----------
    code : object
        The code as read.
    level : {"commune", "arrondissement", "iris", "epci", "departement", "region"}
        The geographic level.

    Returns
    -------
    str
        The normalised code.

    Raises
    ------
    CodeError
        If the code is malformed. When it looks like a code that lost its
        leading zero, the message says so and ``error.suggestion`` holds the
        likely original; it is not applied.

    Examples
    --------
    >>> normalize_code(" 2a004 ", "commune")
    '2A004'
    """
    _check_level(level)
    if isinstance(code, (int, float, np.integer, np.floating)) and not isinstance(
        code, bool
    ):
        text = _number_text(code)
        raise CodeError(
            f"{LEVEL_LABELS[level]} {code!r} lu comme un nombre : les codes géographiques "
            "sont du texte. " + _explain(text, level),
            codes=[code],
            level=level,
            suggestion=("0" + text) if _lost_zero(text, level) else None,
        )
    text = _clean(code)
    if not _PATTERNS[level].match(text):
        raise CodeError(
            _explain(text, level),
            codes=[code],
            level=level,
            suggestion=("0" + text) if _lost_zero(text, level) else None,
        )
    return text


def _number_text(value: object) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def normalize_codes(
    codes: pd.Series,
    level: Level,
    *,
    path: str | None = None,
    column: str | None = None,
    first_row: int = 2,
    allow_missing: bool = False,
    lines: Sequence[int] | None = None,
) -> pd.Series:
    """Normalise a column of codes, reporting every bad row at once.

    Parameters
    ----------
    codes : pandas.Series
        The codes as read. A numeric column is accepted only if converting it
        to text loses nothing (every value has the full length); otherwise the
        error says the column was read as numbers.
    level : {"commune", "arrondissement", "iris", "epci", "departement", "region"}
        The geographic level.
    path, column : str, optional
        Where the column comes from, for the message.
    first_row : int, default 2
        File line number of the first value (2 for a CSV with one header line).
    allow_missing : bool, default False
        Keep missing values (and INSEE's ``ZZZZZZZZZ`` "no unit" markers) as
        ``<NA>`` instead of reporting them.
    lines : sequence of int, optional
        File line of each value, when rows are not consecutive lines (blank
        lines or rows left out before); overrides ``first_row``.

    Returns
    -------
    pandas.Series
        String dtype, same index.

    Raises
    ------
    CodeError
        Naming the file, column, first bad rows and codes; ``error.codes``
        lists all bad codes, ``error.rows`` their line numbers and
        ``error.suggestions`` the likely originals of codes that lost a zero.

    Examples
    --------
    >>> normalize_codes(pd.Series(["01001", "2b033"]), "commune").tolist()
    ['01001', '2B033']
    """
    _check_level(level)
    numeric = pd.api.types.is_numeric_dtype(codes) and not pd.api.types.is_bool_dtype(
        codes
    )
    if numeric:
        text = codes.map(lambda v: pd.NA if pd.isna(v) else _number_text(v))
        text = text.astype("string")
    else:
        # vectorised string methods: no Python call per value
        text = codes.astype("string").str.strip().str.upper()
    missing = text.isna()
    if allow_missing:
        missing |= text.isin(NO_UNIT_MARKERS).fillna(False)
        text = text.mask(missing)
    valid = text.str.match(_PATTERNS[level].pattern).fillna(False).astype(bool)
    bad = ~valid & ~(missing if allow_missing else pd.Series(False, index=text.index))
    if bad.any():
        positions = np.flatnonzero(bad.to_numpy())
        bad_codes = [codes.iloc[i] for i in positions]
        rows = (
            [int(lines[int(i)]) for i in positions]
            if lines is not None
            else [int(i) + first_row for i in positions]
        )
        lost = [
            str(t) for t in text[bad] if isinstance(t, str) and _lost_zero(t, level)
        ]
        first = text.iloc[positions[0]]
        first_text = "(vide)" if pd.isna(first) else str(first)
        label = LEVEL_LABELS[level]
        msg = where(path, column, rows[0]) + _explain(first_text, level)
        if len(positions) > 1:
            msg += (
                f" {len(positions)} {label}s invalides en tout : "
                f"{format_codes(['(vide)' if pd.isna(c) else c for c in bad_codes])}."
            )
        if numeric:
            msg += " La colonne a été lue comme des nombres."
        raise CodeError(
            msg,
            path=path,
            column=column,
            row=rows[0],
            codes=bad_codes,
            rows=rows,
            level=level,
            suggestions={t: "0" + t for t in lost},
        )
    return text


def level_of(code: str) -> Level:
    """Guess the level of a well-formed code from its shape.

    Parameters
    ----------
    code : str
        A code.

    Returns
    -------
    str
        ``"arrondissement"`` is preferred to ``"commune"`` for 75101-75120,
        69381-69389 and 13201-13216; 9 digits starting with ``2`` or ``24`` are
        read as EPCI SIREN when they are not IRIS of an existing département
        prefix; ambiguous cases raise. Two-digit codes are read as
        départements, although region codes have the same shape: for a whole
        column, :func:`departement_or_region` tells them apart.

    Raises
    ------
    CodeError
        If the code fits no level, or several equally.

    Examples
    --------
    >>> level_of("75112"), level_of("2A004"), level_of("971")
    ('arrondissement', 'commune', 'departement')
    """
    text = _clean(code)
    for level in ("arrondissement", "commune", "departement"):
        if _PATTERNS[level].match(text):
            return level
    if len(text) == 9:
        iris = bool(_PATTERNS["iris"].match(text))
        siren = bool(_PATTERNS["epci"].match(text))
        if iris and not siren:
            return "iris"
        if siren and not iris:
            return "epci"
        if iris and siren:
            # EPCI SIREN start with 2 (établissements publics); IRIS of
            # départements 20-29 would be ambiguous: refuse to guess.
            if not text.startswith("2"):
                return "iris"
            raise CodeError(
                f"code « {text} » ambigu : code IRIS ou SIREN d'EPCI ? "
                "Précisez le niveau (level=...).",
                codes=[code],
            )
    raise CodeError(f"code « {text} » : niveau géographique non reconnu.", codes=[code])


def _hinted_level(hint: str) -> str | None:
    """``"region"``/``"departement"`` when a name says so, else ``None``."""
    text = re.sub(r"[^A-Z]", " ", hint.upper().replace("É", "E"))
    region = bool(_REGION_WORDS.search(text))
    departement = bool(_DEPARTEMENT_WORDS.search(text))
    if region != departement:
        return "region" if region else "departement"
    return None


def departement_or_region(
    codes: Iterable[str],
    *,
    hints: Iterable[str | None] = (),
    path: str | None = None,
    column: str | None = None,
) -> Level:
    """Tell whether 2-digit codes are départements or regions.

    Every region code (``"11"``, ``"84"``, ``"93"``...) is also a valid
    département code, so the codes alone decide only when one of them is not
    a region code.

    Parameters
    ----------
    codes : iterable of str
        Codes that :func:`level_of` reads as départements.
    hints : iterable of str, optional
        Names that may tell the level, by priority: the code column
        (``REG``, ``CODE_DEPT``...), the file name (``regions-...``). The
        first that names a region or a département (and not both) wins.
    path, column : str, optional
        Where the codes come from, for the message.

    Returns
    -------
    str
        ``"departement"`` or ``"region"``.

    Raises
    ------
    CodeError
        When every code is a region code and no hint tells: the message asks
        for ``level=``.

    Examples
    --------
    >>> departement_or_region(["01", "05", "93"])
    'departement'
    >>> departement_or_region(["11", "84"], hints=["REG"])
    'region'
    """
    unique = sorted({_clean(c) for c in codes})
    if any(c not in REGION_CODES for c in unique):
        return "departement"
    for hint in hints:
        if hint:
            found = _hinted_level(str(hint))
            if found is not None:
                return found  # type: ignore[return-value]
    raise CodeError(
        where(path, column)
        + f"codes à deux chiffres ambigus ({format_codes(unique)}) : chacun est à "
        "la fois un code de département et un code de région. Précisez le niveau : "
        "level='region' ou level='departement'.",
        path=path,
        column=column,
        codes=unique,
        levels=["departement", "region"],
    )


def is_arrondissement(code: str) -> bool:
    """Tell whether ``code`` is a Paris, Lyon or Marseille municipal arrondissement.

    Parameters
    ----------
    code : str
        A commune-level code.

    Returns
    -------
    bool
    """
    return bool(_PATTERNS["arrondissement"].match(_clean(code)))


def arrondissement_to_commune(code: str) -> str:
    """Map a municipal arrondissement to its commune (75056, 69123, 13055).

    Parameters
    ----------
    code : str
        An arrondissement code (75101-75120, 69381-69389, 13201-13216), or a
        commune code, which is returned unchanged.

    Returns
    -------
    str

    Examples
    --------
    >>> arrondissement_to_commune("13207"), arrondissement_to_commune("01001")
    ('13055', '01001')
    """
    text = _clean(code)
    if not is_arrondissement(text):
        return normalize_code(text, "commune")
    for commune, (low, high) in PLM_COMMUNES.items():
        if low <= text <= high:
            return commune
    raise CodeError(
        f"arrondissement « {text} » inconnu.", codes=[code]
    )  # pragma: no cover


def departement_of(code: str) -> str:
    """Return the département of a commune, arrondissement or IRIS code.

    Parameters
    ----------
    code : str
        A commune (5 characters) or IRIS (9 characters) code.

    Returns
    -------
    str
        Two characters (``"01"``, ``"2A"``) or three overseas (``"971"``).

    Examples
    --------
    >>> departement_of("97411"), departement_of("2B033"), departement_of("930010101")
    ('974', '2B', '93')
    """
    text = _clean(code)
    if not (
        _PATTERNS["commune"].match(text[:5])
        and (len(text) == 5 or _PATTERNS["iris"].match(text))
    ):
        raise CodeError(
            f"« {text} » n'est ni un code commune ni un code IRIS valide.", codes=[code]
        )
    return text[:3] if text[:2] in ("97", "98") else text[:2]
