"""An archive written before check_objectives refused a Jc over 1e14 A/m^2 or a Tc over 300 K
(campaign.PHYSICAL_MAX, 2026-12-07) may hold one: it restores as stored, the restore naming each
such value; values no store ever held are still refused."""

from __future__ import annotations

import pytest

from fluxtrap.store import Store
from fluxtrap.store.backup import backup, restore

from .test_backup import NAME, P, damage, resigned


def _archive_with_values_beyond_any_superconductor(tmp_path) -> tuple[Store, object]:
    """A store as one written before 2026-12-07 could hold it: a Jc of 2e11 A/cm^2 (2e15 A/m^2,
    A/cm^2 typed for A/m^2 twice over) and a Tc of 380 K (a Celsius reading?), both since
    refused (campaign.PHYSICAL_MAX: 1e14 A/m^2, 300 K) and both stored then; its backup."""
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.store import models as m

    from ..conftest import EXAMPLES

    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml").to_dict()
    spec["objectives"].append({"name": "tc", "quantity": "tc", "goal": "maximize"})
    source = Store(f"sqlite:///{tmp_path / 'source.db'}")
    source.create_campaign(CampaignSpec.from_dict(spec), created_by="alice")
    source.add_sample(NAME, "B1", P, objectives={"jc_3T": 1.5e8, "tc": 38.0}, recorded_by="ana")
    source.add_sample(NAME, "B 2", P | {"dwell_time": 9}, recorded_by="ana")
    with source.transaction() as s:  # as the store took them before the bound
        x = s.query(m.Sample).filter_by(label="B 2").one()
        x.objectives = {"jc_3T": 2e15, "tc": 380.0}
    backup(source, NAME, tmp_path / "k.zip")
    return source, tmp_path / "k.zip"


def test_an_archive_holding_a_value_beyond_any_superconductor_restores_and_names_it(
    tmp_path, store_url
):
    """check_objectives refuses a Jc over 1e14 A/m^2 or a Tc over 300 K since 2026-12-07, and
    restore ran it: an archive written before, holding one, could not be restored at all (the
    lab's whole campaign lost to one mistyped value). Now it restores as stored, and the restore
    names each such value, its sample and the command correcting it."""
    source, archive = _archive_with_values_beyond_any_superconductor(tmp_path)
    target = Store(store_url)  # SQLite, and PostgreSQL where one runs
    said: list[str] = []
    assert restore(target, archive, warn=said.append)[1]["samples"] == 2
    assert [x.objectives for x in target.samples(NAME)] == [
        x.objectives for x in source.samples(NAME)
    ]  # kept exactly: 2e15 A/m^2 and 380 K
    assert len(said) == 2
    assert said[0].startswith("sample 'B 2' (samples row 2): jc_3T = 2e+11 A/cm² is above the ")
    assert "1e+10 A/cm² no superconductor reaches" in said[0]
    assert "tc = 380 K is above the 300 K" in said[1]
    for line, key in zip(said, ("jc_3T", "tc"), strict=True):
        assert f"`fluxtrap sample measured -c 'K-Ba122 SPS' 'B 2' -o {key}=VALUE --replace`" in line
    # the command it names corrects it
    target.set_objectives(NAME, "B 2", {"jc_3T": "2e4 A/cm^2"}, replace=True, changed_by="ana")
    assert target.sample(NAME, "B 2").objectives["jc_3T"] == pytest.approx(2e8)
    # without warn: a Python warning per value
    other = Store(f"sqlite:///{tmp_path / 'other.db'}")
    with pytest.warns(UserWarning, match=r"sample 'B 2' .*jc_3T = 2e\+11 A/cm²"):
        restore(other, archive)


@pytest.mark.parametrize(
    "value, said",
    [
        (1e200, "not a finite number within"),  # past MAX_MAGNITUDE: never storable
        ("2e15", "above the 1e\\+10 A/cm² no superconductor reaches"),  # a text: a new value's
        (-5.0, "jc_3T"),  # refused as before, whatever the bound
    ],
)
def test_values_beyond_the_bound_a_store_never_held_are_still_refused(tmp_path, value, said):
    from fluxtrap.errors import InputFileError

    _, archive = _archive_with_values_beyond_any_superconductor(tmp_path)
    edit = resigned("samples", lambda docs, m_: docs[1]["objectives"].update(jc_3T=value))
    damage(archive, tmp_path / "bad.zip", edit)
    target = Store(f"sqlite:///{tmp_path / 'target.db'}")
    with pytest.raises(InputFileError, match=f"not restored: samples row 2: .*{said}"):
        restore(target, tmp_path / "bad.zip")
    assert target.campaigns() == []


def test_the_restore_command_restores_and_warns_of_values_beyond_the_bound(tmp_path, capsys):
    from fluxtrap.cli import run

    _, archive = _archive_with_values_beyond_any_superconductor(tmp_path)
    for db in (tmp_path / "new.db", tmp_path / "existing.db"):  # a new file, one that exists
        if db.name == "existing.db":
            Store(f"sqlite:///{db}").engine.dispose()
        assert run(["restore", str(archive), "--db", str(db), "--quiet"]) == 0
        out = capsys.readouterr()
        assert "restored campaign 'K-Ba122 SPS'" in out.out
        warned = [x for x in out.err.splitlines() if x.startswith("warning: sample 'B 2'")]
        assert len(warned) == 2 and "restored as stored" in warned[0]
        assert Store(f"sqlite:///{db}").sample(NAME, "B 2").objectives["jc_3T"] == 2e15
