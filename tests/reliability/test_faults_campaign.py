"""The campaign script (tests/reliability/fault_campaign.py) itself: every case is handled."""

from __future__ import annotations

from tests.reliability import fault_campaign


def test_every_campaign_case_is_handled(capsys):
    fault_campaign.RESULTS.clear()
    fault_campaign.main()
    total = fault_campaign.RESULTS["all"]
    assert total["tried"] == 38
    assert total["handled"] == total["tried"], capsys.readouterr().out
