"""What a map layer shows, and the checked, secrecy-safe data behind it.

A :class:`Layer` names one numeric column and how to classify it.
:func:`prepare_layer` reads it from a GeoDataFrame (or the wide form of a
recomputed result, see ``docs/architecture.md``): values flagged secret in
``{column}__secret`` are dropped **before** anything is serialised, missing
values are kept apart, and the classes are computed on what remains.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from territobs.errors import SourceFormatError, format_codes
from territobs.formatting import count_of, decimals_for
from territobs.maps.classify import MISSING, SECRET, Classes, Scheme, classify

__all__ = [
    "Caption",
    "Layer",
    "PreparedLayer",
    "Reference",
    "prepare_layer",
    "secret_mask",
    "single_zone",
]

#: Fill of the one zone of a map drawn as a locator (no classes to read).
LOCATOR_COLOR = "#2b7bba"

#: Column suffixes of the wide result (``to_geodataframe``).
SECRET_SUFFIX = "__secret"
SHARE_SUFFIX = "__estimated_share"
NUMERATOR_SUFFIX = "__numerator"
DENOMINATOR_SUFFIX = "__denominator"
STATE_SUFFIX = "__state"
COVERAGE_LABEL_SUFFIX = "__coverage_label"

_CLASS_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Reference:
    """A reference territory and its value (``Seine-Saint-Denis``, 27.9).

    Attributes
    ----------
    value : float
        The reference value, in the layer's unit.
    label : str, default "la référence"
        French name, shown as ``Écart à {label}``.
    """

    value: float
    label: str = "la référence"


@dataclass(frozen=True)
class Layer:
    """One indicator to draw.

    Attributes
    ----------
    column : str
        Numeric column of the GeoDataFrame.
    label : str, optional
        French label (default: the column name).
    unit : str, optional
        ``"%"``, ``"€"``, ``"habitants"``...
    scheme, k, breaks, palette
        Passed to :func:`territobs.maps.classify`.
    reference : float or Reference, optional
        Value to compare with (tooltips) and to centre a diverging palette on.
    classes : Classes, optional
        Classes shared with another map (overrides scheme, k and breaks).
    decimals : int, optional
        Digits after the decimal comma (default: the one policy of
        :func:`territobs.formatting.decimals_for` over the mapped values).
    """

    column: str
    label: str | None = None
    unit: str | None = None
    scheme: Scheme = "quantiles"
    k: int = 5
    breaks: Sequence[float] | None = None
    palette: str | None = None
    reference: float | Reference | None = None
    classes: Classes | None = None
    decimals: int | None = None


@dataclass(frozen=True)
class Caption:
    """What a map says about itself: title, caption lines, provenance, date.

    Attributes
    ----------
    title : str, optional
        Title above the map (a print layout defaults to the layer's label).
    lines : tuple of str, optional
        Caption lines used as they are; by default they are built from the
        provenance, the estimated shares, how cut units were spread, the
        secret, partial and missing zones, and the date
        (:func:`territobs.maps.caption.layer_caption`).
    source, vintage : optional
        Provenance for the default lines; by default read from the frame
        (``attrs["territobs"]``, ``{column}__source``/``__vintage``, the
        catalogue).
    date : datetime.date, optional
        Production date in the default lines (default today; fix it for
        reproducible files).

    Examples
    --------
    >>> Caption("Taux de pauvreté", source="INSEE, Filosofi", vintage=2021).title
    'Taux de pauvreté'
    >>> Caption.of("Source : CAF").lines
    ('Source : CAF',)
    """

    title: str | None = None
    lines: tuple[str, ...] | None = None
    source: str | None = None
    vintage: str | int | None = None
    date: dt.date | None = None

    def __post_init__(self) -> None:
        if self.lines is not None and not isinstance(self.lines, tuple):
            lines = [self.lines] if isinstance(self.lines, str) else self.lines
            object.__setattr__(self, "lines", tuple(lines))

    @classmethod
    def of(cls, caption: Caption | str | Sequence[str] | None) -> Caption:
        """Return ``caption`` as a :class:`Caption` (text: its lines)."""
        if isinstance(caption, Caption):
            return caption
        if caption is None:
            return cls()
        return cls(lines=(caption,) if isinstance(caption, str) else tuple(caption))


@dataclass(frozen=True)
class PreparedLayer:
    """A layer's published data: secret values already removed.

    Attributes
    ----------
    layer : Layer
    classes : Classes
    values : numpy.ndarray
        Float values, NaN where secret or missing.
    klass : numpy.ndarray
        Class index per row; ``-1`` missing, ``-2`` secret.
    estimated_share : numpy.ndarray or None
    numerator, denominator : numpy.ndarray or None
        NaN where secret.
    reference : Reference or None
    decimals : int
    partial : numpy.ndarray of bool or None
        Rows whose figure is *partielle* (``{column}__state`` is
        ``partial``): a value over part of the zone, marked on the map.
    coverage : tuple of str
        The coverage said for each row (``{column}__coverage_label``), ""
        when none.
    """

    layer: Layer
    classes: Classes
    values: np.ndarray
    klass: np.ndarray
    estimated_share: np.ndarray | None
    numerator: np.ndarray | None
    denominator: np.ndarray | None
    reference: Reference | None
    decimals: int
    label: str = field(default="")
    states: np.ndarray | None = None
    """State per row (:mod:`territobs.schema`), from ``{column}__state``."""
    coverage_labels: np.ndarray | None = None
    """French coverage label per row (partial figures), else ``""``."""

    @property
    def n_absent(self) -> int:
        """Rows in state ``missing`` (only known with a ``__state`` column)."""
        if self.states is None:
            return 0
        return int(np.sum(self.states == "missing"))

    @property
    def n_partial(self) -> int:
        """Rows whose value covers only part of the zone."""
        if self.states is None:
            return 0
        return int(np.sum(self.states == "partial"))

    @property
    def partial(self) -> np.ndarray | None:
        """True where a drawn value covers only part of its zone."""
        if self.states is None:
            return None
        return (self.states == "partial") & (self.klass >= 0)

    @property
    def coverage(self) -> tuple[str, ...]:
        """French coverage label per row (empty without coverage labels)."""
        return () if self.coverage_labels is None else tuple(self.coverage_labels)

    @property
    def n_secret(self) -> int:
        """Rows under statistical secrecy."""
        return int(np.sum(self.klass == SECRET))

    @property
    def n_missing(self) -> int:
        """Rows without a value."""
        return int(np.sum(self.klass == MISSING))

    def class_string(self) -> str:
        """One character per row: class, ``-`` missing, ``*`` secret."""
        chars = np.array([*_CLASS_CHARS, "*", "-"])
        return "".join(chars[self.klass].tolist())


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    series = frame[column]
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        bad = series[pd.to_numeric(series, errors="coerce").isna() & series.notna()]
        raise SourceFormatError(
            f"colonne « {column} » : valeurs numériques attendues, trouvé "
            f"{series.dtype} ({format_codes(list(bad.astype(str).unique()[:5]))}).",
            column=column,
            codes=list(bad.astype(str).unique()),
        )
    return np.array(series.to_numpy(dtype=float, na_value=np.nan), copy=True)


def _optional(frame: pd.DataFrame, column: str) -> np.ndarray | None:
    return _numeric(frame, column) if column in frame.columns else None


def _flag(frame: pd.DataFrame, flag: str) -> np.ndarray:
    if flag not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    mask = frame[flag]
    if mask.isna().any():
        raise SourceFormatError(
            f"colonne « {flag} » : "
            f"{count_of(int(mask.isna().sum()), 'valeur manquante')} ; "
            "chaque ligne doit dire si la valeur est secrète (True/False).",
            column=flag,
        )
    return mask.astype(bool).to_numpy()


def secret_mask(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Rows whose value of ``column`` must not be published.

    A row is secret for ``x`` when ``x__secret`` is True, and for
    ``x__numerator`` or ``x__denominator`` when ``x__secret`` is True too
    (a secret rate's counts would give it away).

    Parameters
    ----------
    frame : pandas.DataFrame
    column : str

    Returns
    -------
    numpy.ndarray of bool

    Raises
    ------
    SourceFormatError
        If a secret flag column has missing values.
    """
    mask = _flag(frame, column + SECRET_SUFFIX)
    for suffix in (NUMERATOR_SUFFIX, DENOMINATOR_SUFFIX):
        if column.endswith(suffix):
            mask = mask | _flag(frame, column.removesuffix(suffix) + SECRET_SUFFIX)
    return mask


def _default_decimals(unit: str | None, values: np.ndarray) -> int:
    # the one decimals policy of portraits, tables and maps
    return decimals_for(values[np.isfinite(values)].tolist(), unit or "")


def round_half_up(values: np.ndarray, decimals: int) -> np.ndarray:
    """Round half away from zero, as :func:`~territobs.maps.legend.format_number`.

    Parameters
    ----------
    values : numpy.ndarray
    decimals : int

    Returns
    -------
    numpy.ndarray
    """
    scale = 10.0**decimals
    return np.sign(values) * np.floor(np.abs(values) * scale + 0.5) / scale


def prepare_layer(frame: pd.DataFrame, layer: Layer) -> PreparedLayer:
    """Check a layer's column, drop secret values and classify the rest.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        Holds ``layer.column`` and optionally ``{column}__secret``,
        ``{column}__estimated_share``, ``{column}__numerator``,
        ``{column}__denominator``.
    layer : Layer

    Returns
    -------
    PreparedLayer

    Raises
    ------
    SourceFormatError
        If the column is absent or not numeric, or the secret flags have gaps.
    """
    if layer.column not in frame.columns:
        raise SourceFormatError(
            f"colonne « {layer.column} » absente ; colonnes disponibles : "
            f"{format_codes([c for c in frame.columns if c != 'geometry'], shown=10)}.",
            column=layer.column,
        )
    secret = secret_mask(frame, layer.column)
    values = _numeric(frame, layer.column)
    values[secret] = np.nan
    numerator = _optional(frame, layer.column + NUMERATOR_SUFFIX)
    denominator = _optional(frame, layer.column + DENOMINATOR_SUFFIX)
    for arr in (numerator, denominator):
        if arr is not None:
            arr[secret] = np.nan
    share = _optional(frame, layer.column + SHARE_SUFFIX)
    decimals = (
        layer.decimals
        if layer.decimals is not None
        else _default_decimals(layer.unit, values)
    )
    reference = layer.reference
    if reference is not None and not isinstance(reference, Reference):
        reference = Reference(float(reference))
    if layer.classes is not None:
        classes = layer.classes.cover(values)
    else:
        classes = classify(
            values,
            layer.scheme,
            layer.k,
            breaks=layer.breaks,
            palette=layer.palette,
            reference=reference.value if reference is not None else None,
            unit=layer.unit,
            decimals=decimals,
        )
    if classes.k > len(_CLASS_CHARS):
        raise ValueError(f"{classes.k} classes : au plus {len(_CLASS_CHARS)}")
    klass = classes.assign(values)
    klass[secret] = SECRET
    if reference is not None and math.isnan(reference.value):
        reference = None
    return PreparedLayer(
        layer=layer,
        classes=classes,
        values=values,
        klass=klass,
        estimated_share=share,
        numerator=numerator,
        denominator=denominator,
        reference=reference,
        decimals=decimals,
        label=layer.label or layer.column,
        states=_states(frame, layer.column, secret, values),
        coverage_labels=_texts(frame, layer.column + COVERAGE_LABEL_SUFFIX),
    )


def _states(
    frame: pd.DataFrame, column: str, secret: np.ndarray, values: np.ndarray
) -> np.ndarray | None:
    """State per row from ``{column}__state`` (None without), secrecy winning."""
    from territobs.schema import figure_states

    given = frame.get(column + STATE_SUFFIX)
    if given is None:
        return None
    derived = pd.DataFrame(
        {
            "value": values,
            "secret": secret,
            "state": given.to_numpy(),
        }
    )
    return figure_states(derived).to_numpy(dtype=object)


def _texts(frame: pd.DataFrame, column: str) -> np.ndarray | None:
    if column not in frame.columns:
        return None
    return frame[column].fillna("").astype(str).to_numpy(dtype=object)


def single_zone(prep: PreparedLayer, name: str) -> PreparedLayer:
    """Turn the layer of a one-zone map into a locator: no classes, its figure.

    A choropleth of one zone would show a one-class legend (« de 50 253 à
    50 253 habitants ») that says nothing; the zone is drawn in one colour
    and the legend names it with its figure (« PST Clichy-sous-Bois –
    Montfermeil : 50 253 habitants »). A secret or missing figure keeps its
    own fill and legend entry, and no class is listed.

    Parameters
    ----------
    prep : PreparedLayer
        The prepared layer of a one-row map.
    name : str
        The zone's name.

    Returns
    -------
    PreparedLayer
    """
    from territobs.maps.legend import format_value

    value = float(prep.values[0]) if len(prep.values) else math.nan
    if math.isnan(value):
        classes = Classes(edges=(0.0,), labels=(), colors=(), scheme="locator")
    else:
        text = format_value(value, prep.layer.unit, prep.decimals)
        classes = Classes(
            edges=(value, value),
            labels=(f"{name} : {text}",),
            colors=(LOCATOR_COLOR,),
            scheme="locator",
            unit=prep.layer.unit,
            decimals=prep.decimals,
        )
    klass = prep.klass.copy()
    klass[klass >= 0] = 0
    return replace(prep, classes=classes, klass=klass)
