"""`care365 pair` in database mode: propose for a county and print the figures, approve, and say
clearly why not when the county, the proposal or the user is wrong or the proposal is stale."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from care365.accounts.models import Role
from care365.accounts.tests.factories import UserFactory
from care365.areas.tests.factories import CountyFactory
from care365.pairing.models import EndReason, Pairing, PairingRun
from care365.pairing.tests.factories import County, PairingFactory

pytestmark = pytest.mark.django_db


def pair(*args: str) -> str:
    out = StringIO()
    call_command("pair", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def table(output: str, header: str) -> dict[str, dict[str, int]]:
    """The rows of the table whose header line starts with `header`, by role and column."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [header])
    columns = lines[start].split()[1:]
    rows = {}
    for line in lines[start + 1 : start + 4]:
        role, *numbers = line.split()
        rows[role] = {c: int(n.replace(",", "")) for c, n in zip(columns, numbers, strict=True)}
    return rows


def test_propose_prints_the_figures_and_the_run_id(small: County) -> None:
    output = pair("--county", "331199", "--propose")

    run = PairingRun.objects.get()
    assert run.state == PairingRun.State.PROPOSED and run.created_by is None
    assert f"Proposal {run.pk} for {small.county.name} (331199): 4 children, 4 carers" in output
    assert table(output, "role") == {
        "police": {"kept": 0, "new": 2, "changed": 1, "unpaired": 1},
        "doctor": {"kept": 1, "new": 0, "changed": 0, "unpaired": 3},
        "volunteer": {"kept": 0, "new": 2, "changed": 0, "unpaired": 2},
    }
    assert table(output, "unpaired") == {
        "police": {"no_eligible_in_range": 1, "capacity_exhausted": 0, "no_consent": 0},
        "doctor": {"no_eligible_in_range": 1, "capacity_exhausted": 2, "no_consent": 0},
        "volunteer": {"no_eligible_in_range": 1, "capacity_exhausted": 0, "no_consent": 1},
    }
    seconds = re.search(r"total cost ([\d,]+); ([\d.]+) s \(solver ([\d.]+) s\)", output)
    assert seconds is not None
    assert int(seconds[1].replace(",", "")) == run.figures["total_cost"]
    assert float(seconds[2]) == pytest.approx(run.figures["seconds"], abs=0.006)
    assert f"run id: {run.pk}" in output
    # Only proposed: nothing changed.
    assert Pairing.objects.filter(until__isnull=True).count() == 2


def test_propose_and_approve_in_one_go(small: County) -> None:
    output = pair("--county", "331199", "--propose", "--approve", "--user", "county_admin")

    run = PairingRun.objects.get()
    assert run.state == PairingRun.State.APPROVED
    assert run.created_by == small.admin and run.approved_by == small.admin
    assert f"Approved proposal {run.pk}: 5 pairings started, 1 ended." in output
    assert Pairing.objects.filter(until__isnull=True).count() == 6
    replaced = Pairing.objects.get(child=small.c1, carer=small.p0)
    assert (replaced.until, replaced.end_reason) == (timezone.localdate(), EndReason.REPLACED)


def test_approve_a_proposal_by_its_id_or_the_countys_open_one(small: County) -> None:
    pair("--county", "331199", "--propose")
    first = PairingRun.objects.get()
    output = pair("--approve", "--run", str(first.pk))
    assert f"Approved proposal {first.pk}: 5 pairings started" in output
    first.refresh_from_db()
    assert first.state == PairingRun.State.APPROVED and first.approved_by is None

    pair("--county", "331199", "--propose")
    second = PairingRun.objects.get(state=PairingRun.State.PROPOSED)
    output = pair("--county", "331199", "--approve")
    # Proposed right after approving: everything is kept, nothing to apply.
    assert f"Approved proposal {second.pk}: 0 pairings started, 0 ended." in output
    assert Pairing.objects.filter(until__isnull=True).count() == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--county", "999999", "--propose"], "there is no county with code '999999'"),
        (["--county", "331199102", "--propose"], "there is no county with code '331199102'"),
        (["--approve", "--run", "999999"], "there is no pairing proposal 999999"),
        (["--county", "331199", "--approve"], "county 331199 has no open proposal to approve"),
        (["--county", "331199"], "give --propose, --approve or both"),
        (["--propose"], "give --county CODE"),
        (["--county", "331199", "--propose", "--greedy"], "--out and --greedy are for file mode"),
        (["--county", "331199", "--propose", "--user", "p1"], "'p1' is not an active administ"),
        (["--county", "331199", "--propose", "--user", "nobody"], "'nobody' is not an active"),
        (["--county", "331199", "--instance", "x.json"], "either --instance FILE or --county"),
        ([], "give --instance FILE"),
    ],
)
def test_clear_errors(small: County, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        pair(*args)
    assert not PairingRun.objects.exists()


def test_another_countys_admin_or_proposal_is_refused(small: County) -> None:
    pair("--county", "331199", "--propose")
    run = PairingRun.objects.get()
    elsewhere = CountyFactory.create(code="331198")
    UserFactory.create(username="elsewhere", role=Role.COUNTY_ADMIN, area=elsewhere)
    with pytest.raises(CommandError, match="'elsewhere' is not an active administrator of 331199"):
        pair("--county", "331199", "--approve", "--user", "elsewhere")
    with pytest.raises(CommandError, match=f"proposal {run.pk} is for county 331199, not 331198"):
        pair("--county", "331198", "--approve", "--run", str(run.pk))
    run.refresh_from_db()
    assert run.state == PairingRun.State.PROPOSED
    # A superuser may act for any county.
    UserFactory.create(username="root", role="", is_superuser=True)
    pair("--county", "331199", "--approve", "--user", "root")
    run.refresh_from_db()
    assert run.state == PairingRun.State.APPROVED and run.approved_by is not None


def test_a_stale_or_closed_proposal_is_refused_and_nothing_changes(small: County) -> None:
    pair("--county", "331199", "--propose")
    run = PairingRun.objects.get()
    PairingFactory.create(child=small.c2, role="police", carer=small.p1)  # after the proposal
    before = list(Pairing.objects.order_by("pk").values_list("pk", "until", "end_reason"))

    with pytest.raises(CommandError) as stale:
        pair("--approve", "--run", str(run.pk))
    assert str(stale.value) == (
        f"proposal {run.pk} was not approved: Pairings changed after this proposal was made. "
        "Propose again."
    )
    assert list(Pairing.objects.order_by("pk").values_list("pk", "until", "end_reason")) == before
    run.refresh_from_db()
    assert run.state == PairingRun.State.PROPOSED

    pair("--county", "331199", "--propose", "--approve")
    with pytest.raises(CommandError, match="it was approved or replaced"):
        pair("--approve", "--run", str(run.pk))


def test_file_mode_is_unchanged(tmp_path: Path, capsys: Any) -> None:
    instance = {
        "params": {"objective": "distance"},
        "children": [{"id": "c1", "lat": 28.0, "lon": 120.0, "consent": True}],
        "carers": [
            {"id": "p1", "role": "police", "lat": 28.01, "lon": 120.0, "capacity": 1},
            {"id": "v1", "role": "volunteer", "lat": 28.0, "lon": 120.0, "capacity": 1},
        ],
    }
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(instance), encoding="utf-8")
    out = tmp_path / "result.json"
    printed = pair("--instance", str(path), "--out", str(out))
    assert "2 pairs, 1 without a carer" in printed and str(out) in printed
    result = json.loads(out.read_text(encoding="utf-8"))
    assert {(a["child"], a["role"], a["carer"], a["cost"]) for a in result["assignments"]} == {
        ("c1", "police", "p1", 1112),
        ("c1", "volunteer", "v1", 0),
    }
    assert result["unpaired"] == [
        {"child": "c1", "role": "doctor", "reason": "no_eligible_in_range"}
    ]
