"""``import territobs.maps`` stays light: heavy libraries load on first use."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("mapclassify", "matplotlib", "geopandas", "jinja2", "scipy", "sklearn")


def _loaded(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}; import sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {name for name in HEAVY if name in out}


def test_import_does_not_load_heavy_libraries():
    assert _loaded("import territobs.maps") == set()
    assert _loaded("from territobs.maps import classify, format_number") == set()
    assert _loaded("import territobs.formatting; import territobs.maps.legend") == set()


def test_names_resolve_on_first_use():
    import territobs.maps as maps

    for name in maps.__all__:
        assert getattr(maps, name) is not None
    # the function, not the submodule of the same name
    assert callable(maps.classify) and maps.classify.__name__ == "classify"
    assert "mapclassify" in _loaded(
        "from territobs.maps import classify; classify([1.0, 2.0, 3.0, 4.0], k=2)"
    )
