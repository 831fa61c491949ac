"""Blank spreadsheet cells that are not blanks: formulas never computed, merged cells.

pandas reads both as empty, and an empty INSEE or CAF cell means *secret
statistique*. A formula whose value was never computed (a workbook written
by a program and never opened in a spreadsheet application) and the lower
cells of a merged range are not secret: reading them as such would publish a
wrong state. :func:`check_blank_cells` looks at the workbook itself for the
cells pandas returned empty, and refuses the file naming the cell.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from territobs.errors import SourceFormatError, format_codes, where

__all__ = ["check_blank_cells"]

_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _column_number(letters: bytes | str) -> int:
    number = 0
    for char in letters.decode() if isinstance(letters, bytes) else letters:
        number = number * 26 + ord(char) - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_blank_cells(
    path: str | os.PathLike[str], sheet: str | int, cells: Iterable[tuple[int, int]]
) -> None:
    """Raise if a blank cell is an uncomputed formula or part of a merged range.

    Parameters
    ----------
    path : path-like
        An ``.xlsx`` or ``.xlsm`` workbook (other formats are not checked).
    sheet : str or int
        The sheet name (or index).
    cells : iterable of (int, int)
        1-based (row, column) of the data cells pandas read as blank.

    Raises
    ------
    SourceFormatError
        Naming the first cells (``error.codes``, e.g. ``B3``).
    """
    if Path(path).suffix.lower() not in (".xlsx", ".xlsm"):
        return
    wanted = set(cells)
    if not wanted:
        return
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        sheet_obj = book[sheet] if isinstance(sheet, str) else book.worksheets[sheet]
        rows = {r for r, _ in wanted}
        formulas = []
        for row in sheet_obj.iter_rows(min_row=min(rows), max_row=max(rows)):
            for cell in row:
                position = (getattr(cell, "row", None), getattr(cell, "column", None))
                value = getattr(cell, "value", None)
                if (
                    position in wanted
                    and isinstance(value, str)
                    and value.startswith("=")
                ):
                    formulas.append(f"{_column_letters(position[1])}{position[0]}")
        xml_path = getattr(sheet_obj, "_worksheet_path", None)
        merged = []
        if xml_path is not None:
            with book._archive.open(xml_path) as fh:
                for match in _MERGE.finditer(fh.read()):
                    c0, r0 = _column_number(match[1]), int(match[2])
                    c1, r1 = _column_number(match[3]), int(match[4])
                    if any(
                        r0 <= r <= r1 and c0 <= c <= c1 and (r, c) != (r0, c0)
                        for r, c in wanted
                    ):
                        merged.append(
                            f"{match[1].decode()}{r0}:{match[3].decode()}{r1}"
                        )
    finally:
        book.close()
    label = f"feuille « {sheet} », " if isinstance(sheet, str) else ""
    if formulas:
        raise SourceFormatError(
            f"{where(path)}{label}cellules {format_codes(formulas)} : formules sans "
            "valeur calculée (classeur écrit par un programme et jamais recalculé). "
            "Ce ne sont pas des cellules secrètes : ouvrez le classeur et "
            "enregistrez-le dans Excel ou LibreOffice pour calculer les formules, "
            "ou exportez-le en CSV.",
            path=path,
            codes=formulas,
        )
    if merged:
        raise SourceFormatError(
            f"{where(path)}{label}cellules fusionnées {format_codes(merged)} dans "
            "les données : les cellules vides d'une fusion ne sont pas des "
            "cellules secrètes. Défusionnez-les (une valeur par cellule) ou "
            "exportez le tableau en CSV.",
            path=path,
            codes=merged,
        )
