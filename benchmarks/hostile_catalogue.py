"""The catalogue of hostile inputs of issue 15, and how territobs answers each.

Every case builds its own small fixture in a fresh temporary folder, runs one
reader call or one command line (in process, through ``territobs.cli.main``,
exactly as the console script does) and is classified:

- ``error``: a French :class:`~territobs.errors.TerritobsError` (API) or a
  one-line ``Erreur : …`` and a non-zero exit code (command line);
- ``warning``: the call succeeds and a typed ``TerritobsWarning`` (API) or an
  ``avertissement : …`` line (command line) says what was wrong;
- ``silent``: the call succeeds and nothing is said (a wrong result);
- ``traceback``: any other exception escapes (a raw traceback for a user);
- ``unexpected``: the command line's last-resort French line (« erreur
  inattendue… ») instead of a traceback: no traceback, but not a clear
  message either;
- ``ok``: the hostile input was handled correctly without needing a message
  (e.g. a stale partial download restarted from zero).

Run alone to print the count table (and write ``results/hostile.json``)::

    PYTHONPATH=src python benchmarks/hostile_catalogue.py

The same file runs unchanged on an older tree, to compare before and after;
``tests/test_hostile_catalogue.py`` runs it and fails on any traceback or
silent case.
"""

from __future__ import annotations

import contextlib
import http.server
import inspect
import io
import json
import os
import sys
import tempfile
import threading
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

CASES: dict[str, Callable[[Path], tuple[str, str]]] = {}
GROUPS: dict[str, str] = {}


def case(group: str) -> Callable:
    def register(fn: Callable[[Path], tuple[str, str]]) -> Callable:
        CASES[fn.__name__] = fn
        GROUPS[fn.__name__] = group
        return fn

    return register


# --------------------------------------------------------------------------
# running one call


def run_cli(*args: str) -> tuple[str, str]:
    """Run the console entry point in process; classify its answer."""
    from territobs.cli import main

    err = io.StringIO()
    code: object = 0
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:
        return "traceback", f"{type(exc).__name__}: {exc}"[:300]
    text = err.getvalue()
    if "Traceback" in text:
        return "traceback", text[-300:]
    if code not in (0, None) and "erreur inattendue" in text:
        return "unexpected", text.strip()[:300]
    if code not in (0, None):
        return "error", text.strip()[:300]
    if "avertissement" in text.lower():
        return "warning", text.strip()[:300]
    return "silent", text.strip()[:300]


def run_api(call: Callable[[], object]) -> tuple[str, str]:
    """Run a library call; classify its answer."""
    from territobs.errors import TerritobsError, TerritobsWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except TerritobsError as exc:
            return "error", f"{type(exc).__name__}: {exc.message}"[:300]
        except BaseException as exc:
            return "traceback", f"{type(exc).__name__}: {exc}"[:300]
    typed = [w for w in caught if issubclass(w.category, TerritobsWarning)]
    if typed:
        return "warning", f"{typed[0].category.__name__}: {typed[0].message}"[:300]
    return "silent", ""


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------
# small valid fixtures the misuse cases start from

COMMUNES = ["93001", "93005", "93006", "93007"]


def _units(tmp: Path, name: str = "communes.gpkg", **kw) -> Path:
    import geopandas as gpd
    from shapely.geometry import box

    frame = gpd.GeoDataFrame(
        {"INSEE_COM": COMMUNES, "NOM": ["Aubervilliers", "Aulnay", "Bagnolet", "Blanc-Mesnil"],
         "POP": [90000.0, 86000.0, 36000.0, 57000.0]},
        geometry=[box(652000 + 1000 * i, 6860000, 653000 + 1000 * i, 6861000) for i in range(4)],
        crs=2154,
    )  # fmt: skip
    path = tmp / name
    frame.to_file(path, **kw)
    return path


def _table(tmp: Path) -> Path:
    return _write(
        tmp / "rp.csv",
        "CODGEO;P21_POP;TP6021\n93001;90000;44,0\n93005;86000;24,0\n"
        "93006;36000;30,0\n93007;57000;27,0\n",
    )


def _zones(tmp: Path) -> Path:
    return _write(
        tmp / "zones.csv", "zone;membres\nouest;93001,93006\nest;93005,93007\n"
    )


def _recompute(tmp: Path, output: Path | str) -> tuple[str, str]:
    return run_cli(
        "recompute", "--units", _units(tmp), "--table", _table(tmp), "--zones",
        _zones(tmp), "--indicator", "population", "--output", output,
    )  # fmt: skip


def _result_csv(tmp: Path) -> Path:
    out = tmp / "res.csv"
    outcome = _recompute(tmp, out)
    if outcome[0] != "silent" or not out.exists():
        raise RuntimeError(f"fixture recompute failed: {outcome}")
    return out


# --------------------------------------------------------------------------
# command line misuse (issue 15, item 3)


@case("cli")
def cli_shapefile_cp1252_without_cpg(tmp):
    import geopandas as gpd
    from shapely.geometry import box

    frame = gpd.GeoDataFrame(
        {"INSEE_COM": ["93001", "93005"], "NOM": ["Épinay-sur-Seine", "Aulnay-sous-Bois"]},
        geometry=[box(652000, 6860000, 653000, 6861000), box(653000, 6860000, 654000, 6861000)],
        crs=2154,
    )  # fmt: skip
    path = tmp / "COMMUNE.shp"
    frame.to_file(path, encoding="cp1252")
    (tmp / "COMMUNE.cpg").unlink(missing_ok=True)
    return run_cli("read", path)


@case("cli")
def cli_caf_both_allocataires_spellings(tmp):
    path = _write(
        tmp / "RSACom2014.csv",
        "Communes;Codes_Insee;NB_Allocataires;NB_allocataires\n"
        "AUBERVILLIERS;93001;120;130\nAULNAY;93005;80;85\n",
    )
    return run_cli("read", "--kind", "caf", path)


@case("cli")
def cli_grid_unknown_crs_in_id(tmp):
    path = _write(
        tmp / "carreaux.csv",
        "Idcar_200m;Ind;Men\nCRS99999RES200mN2029800E4252400;10;4\n"
        "CRS99999RES200mN2029800E4252600;12;5\n",
    )
    return run_cli("read", "--kind", "grid", path)


@case("cli")
def cli_output_in_read_only_folder(tmp):
    folder = tmp / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    target = folder if os.geteuid() != 0 else Path("/sys/kernel")  # root ignores modes
    try:
        return _recompute(tmp, target / "res.csv")
    finally:
        folder.chmod(0o755)


@case("cli")
def cli_output_on_full_disk(tmp):
    if not Path("/dev/full").exists():
        return "skipped", "/dev/full absent"
    out = tmp / "res.csv"
    out.symlink_to("/dev/full")
    return _recompute(tmp, out)


@case("cli")
def cli_output_parent_is_a_file(tmp):
    (tmp / "fichier").write_text("x")
    return _recompute(tmp, tmp / "fichier" / "res.csv")


@case("cli")
def cli_output_is_a_folder(tmp):
    (tmp / "res.csv").mkdir()
    return _recompute(tmp, tmp / "res.csv")


@case("cli")
def cli_portrait_output_is_a_file(tmp):
    result = _result_csv(tmp)
    (tmp / "sortie").write_text("x")
    return run_cli("portrait", result, "--zone", "ouest", "--output", tmp / "sortie")


@case("cli")
def cli_map_output_parent_is_a_file(tmp):
    (tmp / "fichier").write_text("x")
    return run_cli(
        "map", _units(tmp), "-c", "POP", "-o", tmp / "fichier" / "carte.html"
    )


@case("cli")
def cli_corrupted_fetch_manifest(tmp):
    (tmp / "manifest.json").write_text("{tronqué")
    return run_cli(
        "fetch", "insee-cog-mouvements", "--year", "2024", "--cache-dir", tmp,
        "--offline",
    )  # fmt: skip


@case("cli")
def cli_map_on_a_csv(tmp):
    return run_cli("map", _table(tmp), "-c", "P21_POP", "-o", tmp / "carte.html")


@case("cli")
def cli_secret_check_empty_csv(tmp):
    return run_cli("secret-check", _write(tmp / "vide.csv", ""))


@case("cli")
def cli_portrait_empty_csv(tmp):
    return run_cli(
        "portrait", _write(tmp / "vide.csv", ""), "--zone", "a", "--output", tmp
    )


@case("cli")
def cli_portrait_garbage_parquet(tmp):
    path = tmp / "resultat.parquet"
    path.write_bytes(os.urandom(500))
    return run_cli("portrait", path, "--zone", "a", "--output", tmp)


@case("cli")
def cli_read_zip_file_and_folder_same_name(tmp):
    path = tmp / "d.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("d.csv", "CODGEO;P21_POP\n93001;1\n")
        zf.writestr("d.csv/e.csv", "CODGEO;P21_POP\n93001;2\n")
    return run_cli("read", path)


@case("cli")
def cli_read_missing_file(tmp):
    return run_cli("read", tmp / "absent.csv")


@case("cli")
def cli_atlas_config_not_toml(tmp):
    return run_cli("atlas", _write(tmp / "atlas.toml", "ceci n'est [pas du toml"))


@case("cli")
def cli_read_binary_garbage(tmp):
    path = tmp / "donnees.csv"
    path.write_bytes(os.urandom(2000))
    return run_cli("read", path)


ATLAS = """
title = "Essai"
output = "{output}"
indicators = ["population"]

[[sources]]
id = "communes"
demo = "communes"
departements = ["93"]

[[zones]]
id = "duo"
label = "Deux communes"
members = {{ "aub-pantin" = ["93001", "93055"] }}
"""


@case("cli")
def cli_atlas_output_inside_a_file(tmp):
    (tmp / "fichier").write_text("x")
    config = _write(tmp / "atlas.toml", ATLAS.format(output="fichier/atlas"))
    return run_cli("atlas", config, "--quiet-progress")


@case("cli")
def cli_atlas_output_read_only(tmp):
    folder = tmp / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    output = folder / "atlas" if os.geteuid() != 0 else Path("/sys/kernel/atlas")
    config = _write(tmp / "atlas.toml", ATLAS.format(output=output.as_posix()))
    try:
        return run_cli("atlas", config, "--quiet-progress")
    finally:
        folder.chmod(0o755)


@case("cli")
def cli_recompute_units_given_a_csv(tmp):
    return run_cli(
        "recompute", "--units", _table(tmp), "--table", _table(tmp), "--zones",
        _zones(tmp), "--indicator", "population", "--output", tmp / "res.csv",
    )  # fmt: skip


@case("cli")
def cli_read_grid_given_an_insee_table(tmp):
    return run_cli("read", "--kind", "grid", _table(tmp))


@case("api")
def api_corrupted_atlas_manifest(tmp):
    from territobs.atlas.cache import Manifest

    (tmp / ".territobs-manifest.json").write_text("{tronqué")
    outcome = run_api(lambda: Manifest(tmp))
    if outcome[0] == "silent":
        steps = Manifest(tmp).steps
        return ("ok", "started afresh") if steps == {} else ("silent", str(steps))
    return outcome


@case("api")
def api_missing_file_is_territobs_and_file_not_found(tmp):
    from territobs.errors import TerritobsError
    from territobs.io import read_insee

    try:
        read_insee(tmp / "absent.csv")
    except TerritobsError as exc:
        if isinstance(exc, FileNotFoundError):
            return "error", f"{type(exc).__name__}: {exc.message}"
        return "traceback", "TerritobsError but not FileNotFoundError"
    except FileNotFoundError as exc:
        return "traceback", f"plain {type(exc).__name__}: {exc}"
    except BaseException as exc:
        return "traceback", f"{type(exc).__name__}: {exc}"
    return "silent", ""


# --------------------------------------------------------------------------
# readers: impossible values (issue 15, item 2)


def _insee(tmp: Path, text: str, encoding: str = "utf-8", name: str = "rp.csv"):
    from territobs.io import read_insee

    path = _write(tmp / name, text, encoding)
    return run_api(lambda: read_insee(path))


def _caf(tmp: Path, text: str):
    from territobs.io import read_caf

    path = _write(tmp / "RSACom2014.csv", text)
    return run_api(lambda: read_caf(path))


def _grid(tmp: Path, text: str):
    from territobs.io import read_filosofi_grid

    path = _write(tmp / "carreaux.csv", text)
    return run_api(lambda: read_filosofi_grid(path))


@case("reader")
def reader_infinite_count(tmp):
    return _insee(tmp, "CODGEO;P21_POP\n93001;inf\n93005;100\n")


@case("reader")
def reader_overflowing_count(tmp):
    return _insee(tmp, "CODGEO;P21_POP\n93001;1e400\n93005;100\n")


@case("reader")
def reader_negative_count(tmp):
    return _insee(tmp, "CODGEO;P21_POP\n93001;-5\n93005;100\n")


@case("reader")
def reader_caf_fractional_count(tmp):
    return _caf(tmp, "Communes;Codes_Insee;NB_allocataires\nA;93001;12.5\nB;93005;30\n")


@case("reader")
def reader_caf_negative_count(tmp):
    return _caf(tmp, "Communes;Codes_Insee;NB_allocataires\nA;93001;-3\nB;93005;30\n")


@case("reader")
def reader_rate_above_100(tmp):
    return _insee(tmp, "CODGEO;TP6021\n93001;150\n93005;20\n")


@case("reader")
def reader_rate_below_0(tmp):
    return _insee(tmp, "CODGEO;TP6021\n93001;-2\n93005;20\n")


@case("reader")
def reader_ambiguous_thousands_separator(tmp):
    return _insee(tmp, "CODGEO;P21_POP\n93001;12.500\n93005;8.250\n")


@case("reader")
def reader_mixed_encoding_line(tmp):
    from territobs.io import read_insee

    path = tmp / "rp.csv"
    path.write_bytes(
        "CODGEO;LIBGEO;P21_POP\n93001;Aubervilliers é;1\n".encode()
        + "93005;Aulnay-sous-Bois à;2\n".encode("cp1252")
        + "93006;Bagnolet è;3\n".encode()
    )

    def call():
        table = read_insee(path)
        names = "".join(map(str, table.get("LIBGEO", [])))
        if "Ã" in names:  # UTF-8 decoded as CP1252: every accent garbled
            raise AssertionError(f"garbled: {names}")

    outcome = run_api(call)
    if outcome[0] == "traceback" and "garbled" in outcome[1]:
        return "silent", outcome[1]
    return outcome


@case("reader")
def reader_headers_differing_by_case(tmp):
    return _insee(tmp, "CODGEO;P21_POP;p21_pop\n93001;1;2\n93005;3;4\n")


@case("reader")
def reader_utf16_csv(tmp):
    from territobs.io import read_insee

    path = _write(tmp / "rp.csv", "CODGEO;P21_POP\n93001;1\n93005;2\n", "utf-16")
    outcome = run_api(lambda: read_insee(path))
    if outcome[0] == "silent":
        values = read_insee(path)["P21_POP"].tolist()
        return ("ok", "read as UTF-16") if values == [1, 2] else ("silent", str(values))
    return outcome


@case("reader")
def reader_insee_footnote_rows(tmp):
    outcome = _insee(
        tmp,
        "CODGEO;P21_POP\n93001;1\n93005;2\n;\nSource : Insee, RP2016 exploitation principale;\n",
    )
    return outcome


def _xlsx(tmp: Path, build: Callable) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    build(sheet)
    path = tmp / "rp.xlsx"
    book.save(path)
    return path


def _read_xlsx_not_secret(tmp: Path, build: Callable) -> tuple[str, str]:
    """Read a workbook; blank cells read as secret count as a silent error."""
    from territobs.io import read_insee

    path = _xlsx(tmp, build)

    def call():
        if read_insee(path).filter(like="__secret").to_numpy().any():
            raise AssertionError("blank cells read as secret")

    outcome = run_api(call)
    if outcome[0] == "traceback" and "as secret" in outcome[1]:
        return "silent", outcome[1]
    return outcome


@case("reader")
def reader_xlsx_formula_without_cached_value(tmp):
    def build(sheet):
        sheet.append(["CODGEO", "P21_POP"])
        sheet.append(["93001", 10])
        sheet.append(["93005", "=B2*2"])  # openpyxl writes no cached value

    return _read_xlsx_not_secret(tmp, build)


@case("reader")
def reader_xlsx_merged_cells(tmp):
    def build(sheet):
        sheet.append(["CODGEO", "P21_POP", "P21_MEN"])
        sheet.append(["93001", 10, 4])
        sheet.append(["93005", 20, 8])
        sheet.merge_cells("B2:B3")

    return _read_xlsx_not_secret(tmp, build)


@case("reader")
def reader_grid_mixed_resolutions(tmp):
    return _grid(
        tmp,
        "Idcar_200m;Ind;Men;Men_pauv\nCRS3035RES200mN2029800E4252400;10;4;1\n"
        "CRS3035RES1000mN2029000E4252000;100;40;10\n",
    )


@case("reader")
def reader_grid_poor_above_households(tmp):
    return _grid(
        tmp,
        "Idcar_200m;Ind;Men;Men_pauv\nCRS3035RES200mN2029800E4252400;10;4;9\n"
        "CRS3035RES200mN2029800E4252600;12;5;1\n",
    )


@case("reader")
def reader_grid_id_off_lattice(tmp):
    return _grid(
        tmp,
        "Idcar_200m;Ind;Men;Men_pauv\nCRS3035RES200mN2029850E4252400;10;4;1\n"
        "CRS3035RES200mN2029800E4252600;12;5;1\n",
    )


def _boundaries(tmp: Path, frame) -> tuple[str, str]:
    from territobs.io import read_boundaries

    path = tmp / "communes.gpkg"
    frame.to_file(path)
    return run_api(lambda: read_boundaries(path))


@case("geometry")
def geometry_web_mercator_under_lambert93(tmp):
    import geopandas as gpd
    from shapely.geometry import box

    # Paris-area squares of 1 km in Web-Mercator metres, declared as Lambert-93.
    frame = gpd.GeoDataFrame(
        {"INSEE_COM": ["93001", "93005"], "NOM": ["A", "B"]},
        geometry=[box(262000 + 1000 * i, 6250000, 263000 + 1000 * i, 6251000) for i in range(2)],
        crs=2154,
    )  # fmt: skip
    return _boundaries(tmp, frame)


@case("geometry")
def geometry_commune_outside_its_departement(tmp):
    import geopandas as gpd
    from shapely.geometry import box

    # 93005 placed near Marseille (its département is Seine-Saint-Denis).
    frame = gpd.GeoDataFrame(
        {"INSEE_COM": ["93001", "93005", "93006"], "NOM": ["A", "B", "C"]},
        geometry=[
            box(652000, 6860000, 654000, 6862000),
            box(893000, 6245000, 895000, 6247000),
            box(654000, 6860000, 656000, 6862000),
        ],
        crs=2154,
    )
    return _boundaries(tmp, frame)


@case("geometry")
def geometry_implausible_commune_area(tmp):
    import geopandas as gpd
    from shapely.geometry import box

    # A commune of 90,000 km2 (France has 550,000).
    frame = gpd.GeoDataFrame(
        {"INSEE_COM": ["93001", "93005"], "NOM": ["A", "B"]},
        geometry=[box(500000, 6700000, 800000, 7000000), box(652000, 6860000, 654000, 6862000)],
        crs=2154,
    )  # fmt: skip
    return _boundaries(tmp, frame)


@case("geometry")
def geometry_overlapping_units(tmp):
    import geopandas as gpd
    from shapely.geometry import box

    frame = gpd.GeoDataFrame(
        {"INSEE_COM": ["93001", "93005"], "NOM": ["A", "B"]},
        geometry=[box(652000, 6860000, 654000, 6862000), box(652500, 6860000, 654500, 6862000)],
        crs=2154,
    )  # fmt: skip
    return _boundaries(tmp, frame)


# --------------------------------------------------------------------------
# downloads from a hostile server (issue 15, item 1)


class _Hostile(http.server.BaseHTTPRequestHandler):
    body = b""
    mode = ""

    def log_message(self, *args):
        pass

    def do_GET(self):
        body, mode = type(self).body, type(self).mode
        if mode == "whole_206" and self.headers.get("Range"):
            self.send_response(206)
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if mode != "no_length":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "no_length":
            body = body[: len(body) // 2 + 3]
        with contextlib.suppress(OSError):
            if mode == "drip":
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(0.1)
            else:
                self.wfile.write(body)


def _serve(tmp: Path, body: bytes, mode: str, source: str, **kw) -> tuple[str, str]:
    from territobs.fetch import fetch

    handler = type("H", (_Hostile,), {"body": body, "mode": mode})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    known = inspect.signature(fetch).parameters
    kw = {k: v for k, v in kw.items() if k in known}
    try:
        return run_api(
            lambda: fetch(
                source, year=2024, cache_dir=tmp / "cache",
                base_url=f"http://127.0.0.1:{httpd.server_address[1]}", **kw,
            )
        )  # fmt: skip
    finally:
        httpd.shutdown()
        httpd.server_close()


MVT = b"MOD,DATE_EFF,TYPECOM_AV,COM_AV\n" + b"32,2024-01-01,COM,01039\n" * 1999


@case("fetch")
def fetch_cut_without_length(tmp):
    return _serve(tmp, MVT, "no_length", "insee-cog-mouvements")


@case("fetch")
def fetch_html_error_page_200(tmp):
    return _serve(
        tmp, b"<!DOCTYPE html><html>Erreur</html>\n", "", "insee-cog-mouvements"
    )


@case("fetch")
def fetch_stale_part_and_whole_206(tmp):
    folder = tmp / "cache" / "insee-cog-mouvements" / "2024"
    folder.mkdir(parents=True)
    (folder / "insee-cog-mouvements-2024.csv.part").write_bytes(MVT[:1000])
    outcome = _serve(tmp, MVT, "whole_206", "insee-cog-mouvements")
    data = (folder / "insee-cog-mouvements-2024.csv").read_bytes()
    if outcome[0] == "silent" and data != MVT:
        return "silent", f"{len(data) - len(MVT)} bytes too many"
    if outcome[0] == "silent":
        return "ok", "restarted from zero"
    return outcome


@case("fetch")
def fetch_oversized_body(tmp):
    return _serve(tmp, MVT * 30, "", "insee-cog-mouvements", max_bytes=len(MVT) * 10)


@case("fetch")
def fetch_zip_bomb(tmp):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("t.xlsx", b"\0" * (64 * 2**20))
    return _serve(tmp, buffer.getvalue(), "", "insee-table-appartenance")


@case("fetch")
def fetch_zip_duplicate_members(tmp):
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buffer, "w") as zf:
            zf.writestr("t.xlsx", b"1")
            zf.writestr("t.xlsx", b"2")
    return _serve(tmp, buffer.getvalue(), "", "insee-table-appartenance")


def _zip_bytes(members) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members:
                zf.writestr(name, data)
    return buffer.getvalue()


@case("fetch")
def fetch_slow_drip(tmp):
    # 60 bytes at 10 bytes a second: each read succeeds, the whole takes 6 s.
    body = b"MOD,DATE_EFF,COM_AV\n" + b"32,2024-01-01,01039\n" * 2
    return _serve(tmp, body, "drip", "insee-cog-mouvements", deadline=1)


@case("fetch")
def fetch_zip_symlink_member(tmp):
    link = zipfile.ZipInfo("t.xlsx")
    link.external_attr = 0o120777 << 16
    return _serve(
        tmp, _zip_bytes([(link, b"/etc/passwd")]), "", "insee-table-appartenance"
    )


@case("fetch")
def fetch_truncated_zip_without_length(tmp):
    body = _zip_bytes([("t.xlsx", os.urandom(20_000))])
    return _serve(tmp, body, "no_length", "insee-table-appartenance")


@case("fetch")
def fetch_old_archive_members_not_returned(tmp):
    first = _serve(
        tmp, _zip_bytes([("ancien.xlsx", b"1")]), "", "insee-table-appartenance"
    )
    if first[0] != "silent":
        return "traceback", f"fixture: {first}"
    outcome = _serve(
        tmp, _zip_bytes([("nouveau.xlsx", b"2")]), "", "insee-table-appartenance",
        refresh=True,
    )  # fmt: skip
    from territobs.fetch import fetch

    folder = fetch(
        "insee-table-appartenance", year=2024, cache_dir=tmp / "cache", offline=True
    )
    names = sorted(p.name for p in folder.iterdir())
    if outcome[0] == "silent":
        return (
            ("ok", str(names)) if names == ["nouveau.xlsx"] else ("silent", str(names))
        )
    return outcome


@case("fetch")
def fetch_symlink_already_in_extraction_folder(tmp):
    outside = tmp / "dehors.xlsx"
    outside.write_bytes(b"garder")
    folder = tmp / "cache" / "insee-table-appartenance" / "2024" / "extrait"
    folder.mkdir(parents=True)
    (folder / "t.xlsx").symlink_to(outside)
    outcome = _serve(
        tmp, _zip_bytes([("t.xlsx", b"ecrase")]), "", "insee-table-appartenance"
    )
    if outside.read_bytes() != b"garder":
        return "silent", "wrote through the link"
    return ("ok", "link not followed") if outcome[0] == "silent" else outcome


# --------------------------------------------------------------------------


def run_all(selected: list[str] | None = None) -> dict[str, dict[str, str]]:
    """Run every case (or ``selected``) in a fresh folder; return the outcomes."""
    results = {}
    for name, fn in CASES.items():
        if selected and name not in selected:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            try:
                kind, detail = fn(Path(tmp))
            except BaseException as exc:
                kind, detail = "traceback", f"{type(exc).__name__}: {exc}"[:300]
        results[name] = {"group": GROUPS[name], "outcome": kind, "detail": detail}
    return results


def table(results: dict[str, dict[str, str]]) -> str:
    """The count table, one row per group and a total."""
    kinds = ["error", "warning", "ok", "silent", "unexpected", "traceback", "skipped"]
    rows = [
        "| group | tried | " + " | ".join(kinds) + " |",
        "|---" * (len(kinds) + 2) + "|",
    ]
    groups = [*sorted({r["group"] for r in results.values()}), "total"]
    for group in groups:
        found = Counter(
            r["outcome"] for r in results.values() if group in ("total", r["group"])
        )
        rows.append(
            f"| {group} | {sum(found.values())} | "
            + " | ".join(str(found[k]) for k in kinds)
            + " |"
        )
    return "\n".join(rows)


def compare(before: Path, after: Path) -> str:
    """Markdown page comparing two runs saved as JSON (``before`` and ``after``)."""
    old = json.loads(before.read_text("utf-8"))
    new = json.loads(after.read_text("utf-8"))
    lines = [
        "# Hostile inputs of issue 15: how territobs answers, before and after",
        "",
        "Measured with `benchmarks/hostile_catalogue.py` (each case in a fresh",
        "temporary folder, in process through `territobs.cli.main` or the library",
        "call), on `main` (a temporary worktree) and on the `harden` branch:",
        "",
        "```",
        "PYTHONPATH=<main>/src python benchmarks/hostile_catalogue.py main "
        "benchmarks/results/hostile-main.json",
        "PYTHONPATH=src python benchmarks/hostile_catalogue.py harden "
        "benchmarks/results/hostile.json",
        "python benchmarks/hostile_catalogue.py --compare "
        "benchmarks/results/hostile-main.json benchmarks/results/hostile.json",
        "```",
        "",
        "## Before (main)",
        "",
        table(old),
        "",
        "## After (harden)",
        "",
        table(new),
        "",
        "## Per case",
        "",
        "| case | group | before | after |",
        "|---|---|---|---|",
    ]
    for name, row in new.items():
        was = old.get(name, {}).get("outcome", "absent")
        lines.append(f"| {name} | {row['group']} | {was} | {row['outcome']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__" and sys.argv[1:2] == ["--compare"]:
    page = compare(Path(sys.argv[2]), Path(sys.argv[3]))
    (Path(__file__).parent / "results" / "hostile.md").write_text(page, "utf-8")
    print(page)
elif __name__ == "__main__":
    label = sys.argv[1] if len(sys.argv) > 1 else "this tree"
    outcome = run_all()
    for name, r in outcome.items():
        print(f"{r['outcome']:9} {name}: {r['detail'][:150]!r}")
    print(f"\n{label}\n")
    print(table(outcome))
    out = Path(__file__).parent / "results" / "hostile.json"
    if len(sys.argv) > 2:
        out = Path(sys.argv[2])
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(outcome, indent=1, ensure_ascii=False), "utf-8")
