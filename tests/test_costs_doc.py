"""docs/costs.md's worked example adds up, and every line names its price's source."""

from __future__ import annotations

import re

from .conftest import ROOT

COSTS = (ROOT / "docs" / "costs.md").read_text(encoding="utf-8")


def table(heading: str) -> list[list[str]]:
    section = COSTS.split(heading, 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    body: list[list[str]] = []
    for row in cells[2:]:
        body.append(row)
        if row[0].startswith("**total**") or len(body) > 40:
            break
    return body


def dollars(text: str) -> float:
    return float(re.sub(r"[^\d.]", "", text))


def test_the_worked_example_adds_up_and_names_its_sources() -> None:
    rows = table("## Worked example: four instances behind a load balancer, one month")
    *items, total = rows
    assert total[0] == "**total**"
    assert round(sum(dollars(row[3]) for row in items), 2) == dollars(total[3])
    for row in items:
        assert row[4] and "pricing" in row[4], row
    instances = next(row for row in items if row[0].startswith("instances"))
    assert round(4 * 730 * dollars(instances[2]), 2) == dollars(instances[3])


def test_the_region_table_is_consistent() -> None:
    section = COSTS.split("### Other regions", 1)[1].split("\n\n|", 1)[1]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in ("|" + section).splitlines()]
    rows = [r for r in rows[2:] if len(r) == 6]
    assert {r[0].split()[0] for r in rows} >= {"us-east-1", "sa-east-1"}
    base = 730 * (0.045 + 4 * 0.0208 + 0.0225)
    for region, nat, t3, alb, month, ratio in rows:
        expected = 730 * (dollars(nat) + 4 * dollars(t3) + dollars(alb))
        assert abs(expected - dollars(month)) < 0.01, region
        assert abs(expected / base - float(ratio)) < 0.006, region
    sao_paulo = next(r for r in rows if r[0].startswith("sa-east-1"))
    assert dollars(sao_paulo[1]) / 0.045 > 2, "the doc says NAT costs about twice as much there"
