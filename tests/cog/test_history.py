from __future__ import annotations

import pandas as pd
import pandas.testing as tm
import pytest

from territobs.cog import (
    builtin_passages,
    read_history,
    read_mvt_commune,
    yearly_passages,
)
from territobs.errors import SourceFormatError


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["code_from"], frame["code_to"], strict=True))


def test_mvt_layout_keeps_commune_rows_only(mvt_fixture):
    events = read_mvt_commune(mvt_fixture)
    assert not events.empty
    # COMD rows (delegated communes) move no territory between communes.
    assert ("60694", "60694") not in set(
        zip(events.code_av, events.code_ap, strict=True)
    )
    culoz = events[events.code_ap == "01138"]
    assert set(culoz.code_av) == {"01039", "01138"}
    assert (culoz.event == "fusion").all()
    assert culoz.date.iloc[0] == pd.Timestamp(2023, 1, 1)


def test_read_history_detects_both_layouts(mvt_fixture, historiq):
    assert read_history(mvt_fixture).equals(read_mvt_commune(mvt_fixture))
    old = read_history(historiq)
    assert {"fusion", "scission", "changement de code"} <= set(old.event)


def test_yearly_passages_from_current_layout(mvt_fixture):
    passages = yearly_passages(read_mvt_commune(mvt_fixture), 2022, 2024)
    y2023 = passages[passages.year_from == 2022]
    assert _pairs(y2023) == {
        ("01039", "01138"),
        ("01138", "01138"),
        ("01002", "01004"),
        ("01004", "01004"),
    }
    # The June 2023 name change is no passage; the 2024 split has no weight yet.
    y2024 = passages[passages.year_from == 2023]
    split = y2024[y2024.code_from == "60054"]
    assert set(split.code_to) == {"60054", "60694"}
    assert split.weight.isna().all()
    assert ("49144", "44225") in _pairs(y2024)


def test_unknown_event_code_is_reported(tmp_path, mvt_fixture):
    bad = tmp_path / "v_mvt_commune_2024.csv"
    bad.write_text(mvt_fixture.read_text("utf-8").replace("\n10,", "\n99,", 1), "utf-8")
    with pytest.raises(SourceFormatError, match="99") as info:
        read_mvt_commune(bad)
    assert info.value.codes == ["99"]


def test_unreadable_date_names_row(tmp_path, mvt_fixture):
    bad = tmp_path / "mvt.csv"
    bad.write_text(
        mvt_fixture.read_text("utf-8").replace("2023-01-01", "01/13/2023", 1), "utf-8"
    )
    with pytest.raises(SourceFormatError) as info:
        read_mvt_commune(bad)
    assert info.value.column == "DATE_EFF"
    assert info.value.row == 2


def test_unknown_layout(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", "utf-8")
    with pytest.raises(SourceFormatError):
        read_history(path)


@pytest.mark.shared_data
def test_historiq_passage_matches_cogugaison_2017_2018(historiq):
    """Passages built from INSEE's 2018 history equal COGugaison's 2017 → 2018."""
    mine = yearly_passages(read_history(historiq), 2017, 2018)
    reference = builtin_passages().query("year_from == 2017")
    cols = ["code_from", "code_to"]
    tm.assert_frame_equal(
        mine[cols].sort_values(cols).reset_index(drop=True).astype(str),
        reference[cols].sort_values(cols).reset_index(drop=True).astype(str),
    )


@pytest.mark.shared_data
def test_historiq_yearly_passages_2010_2018(historiq):
    passages = yearly_passages(read_history(historiq), 2010, 2018)
    assert set(passages.year_from) == set(range(2010, 2018))
    # The 2016 wave of communes nouvelles is the largest.
    sizes = passages.groupby("year_from").size()
    assert sizes.idxmax() == 2015
    # Pont-Farcy changed département (14513 → 50649) and joined 50592 the same day.
    assert ("14513", "50592") in _pairs(passages[passages.year_from == 2017])
