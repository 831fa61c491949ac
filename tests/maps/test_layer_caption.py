"""Map functions take a Layer and a Caption; the old keywords still work.

The keywords taken before (``label=``, ``unit=``, ``k=``, ``title=``,
``source=``...) are deprecated for one release: they must give exactly the
same map as the new form, with a ``FutureWarning``.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from territobs.maps import Reference, choropleth, static_map
from territobs.maps.layers import Caption, Layer
from territobs.maps.layout import print_map

DATE = dt.date(2025, 1, 1)
OLD = {
    "label": "Taux de test",
    "unit": "%",
    "k": 3,
    "scheme": "equal_interval",
    "palette": "BrBG",
    "reference": Reference(20.0, "la Seine-Saint-Denis"),
    "decimals": 2,
    "title": "Un titre",
    "source": "INSEE",
    "vintage": 2021,
    "date": DATE,
}
LAYER = Layer(
    "rate",
    label="Taux de test",
    unit="%",
    k=3,
    scheme="equal_interval",
    palette="BrBG",
    reference=Reference(20.0, "la Seine-Saint-Denis"),
    decimals=2,
)
CAPTION = Caption("Un titre", source="INSEE", vintage=2021, date=DATE)


def _pixels(figure) -> np.ndarray:
    FigureCanvasAgg(figure).draw()
    return np.asarray(figure.canvas.buffer_rgba()).copy()


def _new(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # the new form never warns
        return function(*args, **kwargs)


def test_choropleth_old_keywords_give_the_same_page(grid) -> None:
    new = _new(choropleth, grid, LAYER, caption=CAPTION, layers=["pop"])
    with pytest.warns(FutureWarning, match=r"choropleth\(\): keyword\(s\) date, "):
        old = choropleth(grid, "rate", layers=["pop"], **OLD)
    assert old.to_html() == new.to_html()
    assert "Un titre" in new.to_html() and "Taux de test" in new.to_html()


def test_static_map_old_keywords_give_the_same_figure(grid) -> None:
    new = _new(static_map, grid, LAYER, caption=CAPTION)
    with pytest.warns(FutureWarning, match="static_map"):
        old = static_map(grid, "rate", **OLD)
    assert np.array_equal(_pixels(old), _pixels(new))
    assert new.texts[-1].get_text() == old.texts[-1].get_text()
    assert "Source : INSEE, millésime 2021" in new.texts[-1].get_text()


def test_print_map_old_keywords_give_the_same_page(grid) -> None:
    new = _new(print_map, grid, LAYER, caption=CAPTION, subtitle="Sous-titre")
    with pytest.warns(FutureWarning, match="print_map"):
        old = print_map(grid, "rate", subtitle="Sous-titre", **OLD)
    assert np.array_equal(_pixels(old), _pixels(new))
    texts = [t.get_text() for t in new.texts]
    assert "Un titre" in texts and "Sous-titre" in texts


def test_caption_lines_as_text_or_caption(grid) -> None:
    lines = ["Source : CAF, 2023", "Carte : test"]
    by_text = _new(choropleth, grid, "rate", caption=lines)
    by_caption = _new(choropleth, grid, "rate", caption=Caption(lines=tuple(lines)))
    assert by_text.to_html() == by_caption.to_html()
    assert "Source : CAF, 2023" in by_text.to_html()


def test_column_keyword_still_names_the_layer(grid) -> None:
    with pytest.warns(FutureWarning, match="column"):
        old = static_map(grid, column="rate", caption=Caption(date=DATE))
    new = _new(static_map, grid, "rate", caption=Caption(date=DATE))
    assert np.array_equal(_pixels(old), _pixels(new))


def test_old_keywords_now_apply_to_a_given_layer(grid) -> None:
    """Regression: with a Layer, ``unit=``/``k=`` used to be silently ignored."""
    with pytest.warns(FutureWarning):
        old = choropleth(grid, Layer("rate"), unit="%", k=3, date=DATE)
    new = _new(
        choropleth, grid, Layer("rate", unit="%", k=3), caption=Caption(date=DATE)
    )
    assert old.to_html() == new.to_html()
    assert len(new.classes.labels) == 3


def test_unknown_keyword_and_missing_layer_are_refused(grid) -> None:
    with pytest.raises(TypeError, match=r"unexpected keyword argument.*colour"):
        choropleth(grid, "rate", colour="red")
    with pytest.raises(TypeError, match="missing the layer"):
        static_map(grid)
    with pytest.raises(TypeError, match="both 'layer' and 'column'"):
        print_map(grid, "rate", column="rate")


def test_caption_normalises_its_lines() -> None:
    assert Caption(lines="une ligne").lines == ("une ligne",)  # type: ignore[arg-type]
    assert Caption.of(["a", "b"]) == Caption(lines=("a", "b"))
    assert Caption.of(None) == Caption()
    caption = Caption("Titre")
    assert Caption.of(caption) is caption
