"""Atlas config validation: every problem named by its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from territobs.atlas.config import load_config, parse_config
from territobs.errors import ConfigError


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "bassins.csv").write_text("zone;code\na;93001\n", encoding="utf-8")
    (tmp_path / "pst.geojson").write_text(
        '{"type": "FeatureCollection", "features": []}', encoding="utf-8"
    )
    return tmp_path


def base() -> dict:
    return {
        "title": "Atlas",
        "output": "out",
        "indicators": ["population"],
        "sources": [{"id": "communes", "demo": "communes", "departements": ["93"]}],
        "zones": [
            {"id": "communes", "units": True, "references": ["dep"]},
            {"id": "bassins", "members": "bassins.csv", "zone_column": "zone"},
            {"id": "pst", "polygons": "pst.geojson", "method": "area"},
            {"id": "epci", "attribute": "epci"},
        ],
        "references": [{"id": "dep", "label": "Département", "departement": "auto"}],
        "maps": {"scheme": "quantiles", "k": 5, "formats": ["html"]},
        "secrecy": {"indicators": {"*": "rp"}},
    }


def test_valid_config_is_parsed(folder: Path) -> None:
    config = parse_config(base(), folder / "atlas.toml")
    assert [z.id for z in config.zonings] == ["communes", "bassins", "pst", "epci"]
    assert [z.kind for z in config.zonings] == [
        "units",
        "members",
        "polygons",
        "attribute",
    ]
    assert config.output == (folder / "out").resolve()
    assert config.zonings[1].path == (folder / "bassins.csv").resolve()
    # zonings without ``maps`` map every indicator
    assert config.zonings[0].maps == ("population",)
    assert config.territory.units == "communes"
    assert config.secrecy.assignment == (("*", "rp"),)


def test_partition_is_declared_per_zoning(folder: Path) -> None:
    doc = base()
    doc["zones"][3]["partition"] = True
    config = parse_config(doc, folder / "atlas.toml")
    # the units themselves always are one; other zonings only when declared
    assert [z.partition for z in config.zonings] == [True, False, False, True]


def test_groupings_can_be_restricted_to_departements(folder: Path) -> None:
    doc = base()
    doc["zones"][3]["departements"] = ["01"]
    config = parse_config(doc, folder / "atlas.toml")
    assert config.zonings[3].departements == ("01",)
    assert config.zonings[1].departements == ()


def test_config_is_frozen(folder: Path) -> None:
    config = parse_config(base(), folder / "atlas.toml")
    with pytest.raises(AttributeError):
        config.title = "autre"  # type: ignore[misc]


def _error(doc: dict, folder: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(doc, folder / "atlas.toml")
    return info.value


def _set(doc: dict, path: str, value) -> dict:
    """Set ``value`` at a dotted path with [i] indexes (None deletes)."""
    keys: list = []
    for part in path.split("."):
        name, *indexes = part.replace("]", "").split("[")
        keys.append(name)
        keys.extend(int(i) for i in indexes)
    target = doc
    for key in keys[:-1]:
        target = target[key]
    if value is None:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        ("zones[2].polygons", "absent.geojson", "zones[2].polygons"),
        ("zones[1].members", 12, "zones[1].members"),
        ("zones[1].members", {"a": [93001]}, "zones[1].members.a"),
        ("zones[1].method", "area", "zones[1].method"),
        ("zones[2].method", "magic", "zones[2].method"),
        ("zones[0].references", ["nowhere"], "zones[0].references[0]"),
        ("zones[0].references", ["communes"], "zones[0].references[0]"),
        ("zones[0].maps", ["poverty_rate"], "zones[0].maps[0]"),
        ("zones[3].id", "bassins", "zones[3].id"),
        ("zones[3].id", "a b/c", "zones[3].id"),
        ("zones[3].colour", "red", "zones[3].colour"),
        ("zones[0].portraits", "yes", "zones[0].portraits"),
        ("zones[1].partition", "yes", "zones[1].partition"),
        ("zones[0].partition", False, "zones[0].partition"),
        ("zones[1].departements", ["93"], "zones[1].departements"),
        ("zones[3].departements", 93, "zones[3].departements"),
        ("sources[0].demo", "iris", "sources[0].demo"),
        ("sources[0].departements", "93", "sources[0].departements"),
        ("references[0].departement", 93, "references[0].departement"),
        ("maps.scheme", "jenks-magic", "maps.scheme"),
        ("maps.k", 40, "maps.k"),
        ("maps.k", True, "maps.k"),
        ("maps.formats", ["gif"], "maps.formats[0]"),
        ("maps.breaks", [3, 1], "maps.breaks"),
        ("secrecy.indicators", {"*": 5}, "secrecy.indicators.*"),
        ("secrecy.rules", {"dep": 11}, "secrecy.rules.dep"),
        ("indicators", [], "indicators"),
        ("indicators", "population", "indicators"),
        ("tables", ["ods"], "tables[0]"),
        ("title", 3, "title"),
        ("outptu", "x", "outptu"),
    ],
)
def test_error_names_key(folder: Path, path: str, value, key: str) -> None:
    error = _error(_set(base(), path, value), folder)
    assert key in [k for k, _ in error.problems]
    assert error.path == str((folder / "atlas.toml").resolve())


def test_zone_needs_exactly_one_kind(folder: Path) -> None:
    doc = base()
    doc["zones"][3]["units"] = True
    assert _error(doc, folder).key == "zones[3]"
    doc = base()
    del doc["zones"][3]["attribute"]
    assert _error(doc, folder).key == "zones[3]"


def test_source_needs_demo_or_path(folder: Path) -> None:
    doc = base()
    doc["sources"][0] = {"id": "communes"}
    assert _error(doc, folder).key == "sources[0]"
    doc["sources"][0] = {"id": "communes", "path": "bassins.csv"}
    assert _error(doc, folder).key == "sources[0].reader"


def test_unknown_territory_source(folder: Path) -> None:
    doc = base()
    doc["territory"] = {"units": "iris"}
    assert _error(doc, folder).key == "territory.units"


def test_missing_required_sections(folder: Path) -> None:
    doc = base()
    del doc["zones"]
    del doc["indicators"]
    keys = [k for k, _ in _error(doc, folder).problems]
    assert "zones" in keys
    assert "indicators" in keys


def test_every_problem_is_reported_at_once(folder: Path) -> None:
    doc = base()
    doc["zones"][1]["members"] = "absent.csv"
    doc["maps"]["k"] = 50
    doc["sources"][0]["demo"] = "iris"
    error = _error(doc, folder)
    keys = [k for k, _ in error.problems]
    assert keys == ["sources[0].demo", "zones[1].members", "maps.k"]
    assert error.key == "sources[0].demo"
    assert "zones[1].members" in error.message


def test_load_config_reports_toml_syntax_line(tmp_path: Path) -> None:
    path = tmp_path / "atlas.toml"
    path.write_text('title = "x"\nindicators = [\n[[zones]]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.path == str(path)
    assert info.value.row is not None


def test_load_config_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "absent.toml")
    assert info.value.path == str(tmp_path / "absent.toml")


def test_demo_config_is_valid() -> None:
    from territobs.datasets import demo_path

    config = load_config(demo_path() / "atlas.toml")
    assert [z.id for z in config.zonings] == [
        "iris",
        "bassins",
        "circonscription",
        "pst",
    ]
    # `territobs demo` chooses the output; the file's own stays beside it
    assert config.output == (demo_path() / "out" / "demo").resolve()
    # the bassins partition the IRIS; the circonscription and the PST do not
    assert [z.partition for z in config.zonings] == [True, True, False, False]
    assert [z.portraits for z in config.zonings] == [False, True, True, True]
    assert {s.reader for s in config.sources} == {"boundaries", "insee"}


def test_links_are_relative_paths(folder: Path) -> None:
    doc = base()
    doc["links"] = [
        {"label": "Évolution", "href": "evolution/index.html"},
        {"label": "Retour", "href": "../index.html"},
    ]
    config = parse_config(doc, folder / "atlas.toml")
    assert config.links == (
        ("Évolution", "evolution/index.html"),
        ("Retour", "../index.html"),
    )
    for bad in ("https://example.org/atlas", "/home/moi/atlas/index.html", "C:\\atlas"):
        doc["links"] = [{"label": "Ailleurs", "href": bad}]
        assert _error(doc, folder).key == "links[0].href", bad
    doc["links"] = [{"href": "a.html"}]
    assert _error(doc, folder).key == "links[0].label"
