from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from territobs.catalog import (
    AGGREGABLE_KINDS,
    KINDS,
    Catalog,
    Component,
    Indicator,
    default_catalog,
)
from territobs.errors import ConfigError, MethodError

# -- Indicator validation -------------------------------------------------------


def test_indicator_valid_ratio():
    ind = Indicator(
        "hlm",
        "share",
        "Part HLM",
        unit="%",
        numerator="P{yy}_RP_LOCHLMV",
        denominator="P{yy}_RP",
        scale=100,
    )
    assert ind.aggregable
    assert ind.scale == 100.0
    assert ind.role_sets() == [
        {"numerator": "P{yy}_RP_LOCHLMV", "denominator": "P{yy}_RP"}
    ]


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"kind": "total"}, "x.kind"),
        ({"label": " "}, "x.label"),
        ({"kind": "ratio", "numerator": "a"}, "x.denominator"),
        ({"kind": "ratio", "denominator": "a"}, "x.numerator"),
        (
            {"kind": "ratio", "denominator": "a", "published_as_ratio": True},
            "x.variable",
        ),
        ({"kind": "count"}, "x.variable"),
        ({"kind": "mean", "variable": "m"}, "x.weight"),
        ({"kind": "median"}, "x.variable"),
        ({"kind": "count", "variable": "a", "scale": 0}, "x.scale"),
        ({"kind": "count", "variable": "a", "scale": "100"}, "x.scale"),
        (
            {"kind": "count", "variable": "a", "published_as_ratio": True},
            "x.published_as_ratio",
        ),
        ({"kind": "count", "variable": "a", "secrecy": 5}, "x.secrecy"),
    ],
)
def test_indicator_invalid(kwargs, key):
    base = {"id": "x", "kind": "count", "label": "X"}
    with pytest.raises(ConfigError) as info:
        Indicator(**{**base, **kwargs})
    assert info.value.key == key


def test_indicator_bad_id():
    with pytest.raises(ConfigError) as info:
        Indicator("1abc", "count", "X", variable="a")
    assert info.value.key == "id"


def test_secrecy_frozen_from_string_or_mapping():
    a = Indicator("a", "count", "A", variable="v", secrecy="caf")
    b = Indicator(
        "b", "count", "B", variable="v", secrecy={"rule": "caf", "threshold": 5}
    )
    assert dict(a.secrecy) == {"rule": "caf"}
    assert b.secrecy["threshold"] == 5
    with pytest.raises(TypeError):
        b.secrecy["threshold"] = 3  # read-only
    hash(b)  # hashable although it holds a mapping


def test_published_ratio_role_sets_prefer_numerator():
    ind = Indicator(
        "p", "share", "P", variable="TP60{yy}", numerator="POOR", denominator="PERS",
        published_as_ratio=True, scale=100,
    )  # fmt: skip
    assert ind.role_sets() == [
        {"numerator": "POOR", "denominator": "PERS"},
        {"rate": "TP60{yy}", "denominator": "PERS"},
    ]


def test_kinds_literal():
    assert set(KINDS) == {"count", "ratio", "share", "mean", "median", "quantile"}


# -- Catalog lookups ------------------------------------------------------------


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return default_catalog()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("poverty_rate", "poverty_rate"),
        ("POVERTY-RATE", "poverty_rate"),
        ("taux pauvrete", "poverty_rate"),
        ("TP6021", "poverty_rate"),
        ("DISP_TP6015", "poverty_rate"),
        ("P21_POP", "population"),
        ("p16_pop", "population"),
        ("DISP_MED15", "median_living_standard"),
        ("NB_allocataires", "caf_allocataires"),
    ],
)
def test_lookup_by_id_alias_or_producer_variable(cat, key, expected):
    assert cat[key].id == expected
    assert key in cat


def test_unknown_key_lists_close_matches(cat):
    with pytest.raises(ConfigError, match="poverty_rate") as info:
        cat.get("povrty_rate")
    assert "poverty_rate" in info.value.candidates
    assert "povrty_rate" not in cat


def test_get_returns_indicator_unchanged(cat):
    ind = cat["population"]
    assert cat.get(ind) is ind


def test_default_catalog_covers_sources(cat):
    frame = cat.to_frame()
    assert frame.index.is_unique
    sources = " ".join(frame["source"])
    for producer in ("Recensement", "Filosofi", "CAF"):
        assert producer in sources
    assert (frame["label"].str.len() > 0).all()
    assert cat["median_living_standard"].kind == "median"
    assert cat["mean_living_standard"].kind == "mean"
    assert cat["poverty_rate"].published_as_ratio
    assert cat["poverty_rate"].denominator == "fiscal_persons"
    assert dict(cat["caf_allocataires"].secrecy)["rule"] == "caf"
    assert "<table" in cat._repr_html_()
    assert "<td>part</td>" in cat._repr_html_()  # kinds in French
    assert "indicateurs" in repr(cat)


def test_duplicate_alias_rejected():
    a = Indicator("a", "count", "A", variable="v", aliases=("x",))
    b = Indicator("b", "count", "B", variable="w", aliases=("X",))
    with pytest.raises(ConfigError) as info:
        Catalog((a, b))
    assert info.value.key == "indicators[1].aliases"


def test_merge_overrides_and_refuses(cat):
    mine = Catalog(
        (Indicator("population", "count", "Ma population", variable="POP"),
         Indicator("beds", "count", "Lits", variable="LITS")),
        name="mine",
    )  # fmt: skip
    merged = cat.merge(mine)
    assert merged["population"].label == "Ma population"
    assert merged["beds"].id == "beds"
    assert len(merged) == len(cat) + 1
    with pytest.raises(ConfigError, match="population"):
        cat.merge(mine, override=False)


# -- files ----------------------------------------------------------------------

USER_TOML = textwrap.dedent(
    """
    name = "departement"

    [components.beds]
    label = "Places en EHPAD"
    variables = ["EHPAD_PLACES_{yyyy}", "EHPAD_PLACES"]

    [[indicators]]
    id = "ehpad_beds"
    kind = "count"
    label = "Places en EHPAD"
    unit = "places"
    source = "Département, fichier des établissements"
    variable = "beds"

    [[indicators]]
    id = "ehpad_beds_per_100_old"
    kind = "ratio"
    label = "Places en EHPAD pour 100 personnes de 75 ans ou plus"
    unit = "pour 100 personnes"
    scale = 100
    numerator = "beds"
    denominator = "P{yy}_POP75P"
    """
)


def test_from_toml_and_resolve(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(USER_TOML, encoding="utf-8")
    mine = Catalog.from_toml(path)
    assert mine.name == "departement"
    assert mine.ids == ["ehpad_beds", "ehpad_beds_per_100_old"]
    res = mine.resolve("ehpad_beds", ["code", "EHPAD_PLACES_2022", "EHPAD_PLACES_2023"])
    assert res.columns["value"] == ("EHPAD_PLACES_2023",)
    assert res.vintage == "2023"
    merged = default_catalog().merge(mine)
    assert merged["ehpad_beds_per_100_old"].scale == 100.0
    assert Catalog.from_file(path).ids == mine.ids


@pytest.mark.parametrize(
    ("snippet", "key"),
    [
        (
            '[[indicators]]\nid = "a"\nkind = "count"\nlabel = "A"\n',
            "indicators[0].variable",
        ),
        (
            '[[indicators]]\nid = "a"\nkind = "count"\nlabel = "A"\nvariable = "v"\n'
            '[[indicators]]\nid = "b"\nkind = "ratio"\nlabel = "B"\nnumerator = "v"\n',
            "indicators[1].denominator",
        ),
        (
            '[[indicators]]\nid = "a"\nkind = "count"\nlabel = "A"\nvariabel = "v"\n',
            "indicators[0].variabel",
        ),
        (
            '[[indicators]]\nkind = "count"\nlabel = "A"\nvariable = "v"\n',
            "indicators[0].id",
        ),
        (
            '[[indicators]]\nid = "a"\nkind = "count"\nlabel = "A"\nvariable = "v w"\n',
            "indicators[0].variable",
        ),
        ('[indicator]\nid = "a"\n', "indicator"),
        ('[components.c]\nvariabls = ["x"]\n', "components.c.variabls"),
    ],
)
def test_from_toml_errors_name_key_path(tmp_path, snippet, key):
    path = tmp_path / "bad.toml"
    path.write_text(snippet, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Catalog.from_toml(path)
    assert info.value.key == key
    assert info.value.path == str(path)
    assert key in info.value.message


def test_invalid_toml_syntax(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[[indicators]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="TOML"):
        Catalog.from_toml(path)


def test_from_yaml(tmp_path):
    yaml = pytest.importorskip("yaml")
    path = tmp_path / "mine.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "indicators": [
                    {"id": "a", "kind": "count", "label": "A", "variable": "v"}
                ]
            }
        ),
        encoding="utf-8",
    )
    assert Catalog.from_yaml(path).ids == ["a"]


def test_from_file_unknown_extension(tmp_path):
    with pytest.raises(ConfigError, match=r"\.json"):
        Catalog.from_file(tmp_path / "c.json")


# -- resolving producer columns per vintage ---------------------------------------

POP_BANDS = ["P16_POP0014", "P16_POP1529", "P16_POP3044", "P16_POP4559", "P16_POP6074", "P16_POP75P"]  # fmt: skip


@pytest.mark.parametrize(
    ("columns", "vintage", "expected", "expected_vintage"),
    [
        (["P16_POP", "P21_POP"], None, ("P21_POP",), "2021"),
        (["P16_POP", "P21_POP"], 2016, ("P16_POP",), "2016"),
        (["P16_POP", "P21_POP"], "16", ("P16_POP",), "2016"),
        (["population", "P21_POP"], None, ("population",), None),
        (["population_municipale"], None, ("population_municipale",), None),
        (POP_BANDS, None, tuple(POP_BANDS), "2016"),
    ],
)
def test_resolve_population(cat, columns, vintage, expected, expected_vintage):
    res = cat.resolve("population", columns, vintage=vintage)
    assert res.columns["value"] == expected
    assert res.vintage == expected_vintage


def test_resolve_keeps_one_vintage_per_indicator(cat):
    res = cat.resolve(
        "hlm_tenants_share", ["P16_RP_LOCHLMV", "P16_RP", "P21_RP_LOCHLMV", "P21_RP"]
    )
    assert res.columns == {"numerator": ("P21_RP_LOCHLMV",), "denominator": ("P21_RP",)}
    with pytest.raises(MethodError, match="même millésime"):
        cat.resolve("hlm_tenants_share", ["P16_RP_LOCHLMV", "P21_RP"])


def test_resolve_published_rate(cat):
    res = cat.resolve(
        "poverty_rate", pd.DataFrame(columns=["TP6021", "NBPERSMENFISC21"])
    )
    assert res.rebuilt_numerator
    assert res.columns == {"rate": ("TP6021",), "denominator": ("NBPERSMENFISC21",)}
    assert res.vintage == "2021"


def test_resolve_missing_names_patterns_and_close_columns(cat):
    with pytest.raises(MethodError) as info:
        cat.resolve("hlm_tenants_share", ["P16_RP_LOCHLMV", "P16_RPMAISON"])
    err = info.value
    assert err.role == "denominator"
    assert err.column == "principal_residences"
    assert "P{yy}_RP" in err.message
    assert "P16_RPMAISON" in err.candidates


def test_indicator_vintage_restricts_columns():
    cat = Catalog(
        (Indicator("pop", "count", "Pop", variable="population", vintage="2016"),),
        (Component("population", variables=("P{yy}_POP",)),),
    )
    assert cat.resolve("pop", ["P16_POP", "P21_POP"]).columns["value"] == ("P16_POP",)
    with pytest.raises(MethodError, match="2016"):
        cat.resolve("pop", ["P21_POP"])


def test_component_alternatives():
    comp = Component("x", variables=("A{yy}",), sum_of=("B{yy}", "C{yy}"))
    assert comp.alternatives() == [("x",), ("A{yy}",), ("B{yy}", "C{yy}")]
    with pytest.raises(ConfigError):
        Component("bad id")


def test_to_dict_round_trip(cat):
    for ind in cat:
        assert Indicator.from_dict(ind.to_dict()) == ind


def test_filosofi_governing_count_is_in_the_default_catalogue():
    """Every Filosofi indicator is governed by fiscal_households: the catalogue
    must be able to recompute it, with its own rule."""
    from territobs.secrecy import rules_from_catalog

    cat = default_catalog()
    households = cat.get("fiscal_households")
    assert households.kind == "count" and households.variable == "fiscal_households"
    filosofi = [i.id for i in cat if i.secrecy and i.secrecy["rule"] == "filosofi"]
    rules = rules_from_catalog(filosofi)
    assert {r.governing for r in rules.values()} == {"fiscal_households"}
    assert cat.resolve(households, ["NBMENFISC21"]).columns["value"] == ("NBMENFISC21",)


# -- every problem of a catalogue file at once ----------------------------------


def test_from_toml_lists_every_problem(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        """
naem = "x"
[components.pop]
variables = ["P{yy}_POP"]
spred = "area"

[[indicators]]
id = "pop_a"
kind = "count"
label = "A"
variable = "v"

[[indicators]]
id = "a"
kind = "cout"
label = "A"

[[indicators]]
id = "b"
kind = "mean"
label = ""
scale = -2

[[indicators]]
id = "POP_A"
kind = "count"
label = "A bis"
variable = "bad name!"
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        Catalog.from_toml(path)
    keys = [key for key, _ in info.value.problems]
    assert keys == [
        "components.pop.spred",
        "indicators[1].kind",
        "indicators[2].label",
        "indicators[2].scale",
        "indicators[2].weight",
        "indicators[2].variable",
        "naem",
        "indicators[3].id",
        "indicators[3].variable",
    ]
    assert info.value.key == "components.pop.spred"
    assert "9 problèmes" in info.value.message
    assert str(path) in info.value.message


def test_indicator_from_dict_checks_like_the_loader():
    with pytest.raises(ConfigError) as info:
        Indicator.from_dict({"id": "x", "kind": "ratio", "label": "X"}, "ind")
    assert [k for k, _ in info.value.problems] == ["ind.denominator", "ind.numerator"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_one_spec(kind):
    from territobs.catalog.kinds import KIND_SPECS, kind_spec

    spec = kind_spec(kind)
    assert spec.name == kind and list(KIND_SPECS) == list(KINDS)
    assert spec.aggregable == (kind in AGGREGABLE_KINDS)
    # a complete indicator of the kind has no missing field and a role set
    fields = {"variable": "v", "numerator": "n", "denominator": "d", "weight": "w"}
    ind = Indicator("x", kind, "X", **fields)
    assert spec.requires(ind) == []
    assert ind.role_sets()
    # secrecy reads only the parts that are counts of one reference
    for part, field_name in spec.secrecy_parts.items():
        assert spec.part_reference(ind, part) == fields[field_name]


def test_count_kinds_are_the_summed_ones():
    from territobs.catalog.kinds import KIND_SPECS, is_count

    assert [k for k, s in KIND_SPECS.items() if s.is_count] == ["count"]
    assert is_count("count") and not is_count("share") and not is_count("nan")
