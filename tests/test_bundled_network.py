"""The bundled ``graphs/ai_infrastructure`` network after the 2026-12 fact-check (issue 15).

These tests read the CSV and YAML files directly (csv / yaml, not finflow's loader or
analyses), so they pin the data itself: each expected value is the corrected figure from
``shared/research/ai-network-audit-2026-12.md`` (tables b.2 and f.2, section c) and the
source named in the row, and each invariant (no deal counted twice, ranges that contain
their point value, every cited source defined) is checked over every row.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

GRAPH = Path(__file__).resolve().parents[1] / "graphs" / "ai_infrastructure"

#: the holder classes of the shared contract for the new network format (issue 15)
HOLDER_CLASSES = {"chipmakers", "hyperscalers", "labs", "neoclouds", "spvs", "banks",
                  "credit_funds", "equity_investors", "governments", "other"}
#: live = counted by default: every status but lapsed
LIVE = {"closed", "committed", "loi", "reported"}
#: statuses that bind (the audit's "binding" loops need both legs here)
BINDING = {"closed", "committed"}


def _rows(name: str) -> list[dict[str, str]]:
    with open(GRAPH / name, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def commitments() -> dict[str, dict[str, str]]:
    rows = _rows("commitments.csv")
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "commitment ids must be unique"
    return {r["id"]: r for r in rows}


@pytest.fixture(scope="module")
def entities() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in _rows("entities.csv")}


@pytest.fixture(scope="module")
def meta() -> dict:
    return yaml.safe_load((GRAPH / "network.yaml").read_text())


def num(value: str) -> float | None:
    return float(value) if value.strip() else None


def is_true(value: str) -> bool:
    return value.strip().lower() == "true"


def counted(rows: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    return [r for r in rows.values() if r["status"] in LIVE and is_true(r["in_totals"])]


# ---- the corrected rows ----------------------------------------------------------------
def test_c37_runs_from_coreweave_to_openai(commitments):
    # CoreWeave issued 0.35 of its stock to OpenAI under the MSA (stock issuance agreement
    # of 2025-03-07, audit f.2 #1): the issuer pays the holder, OpenAI paid no cash
    c37 = commitments["c37"]
    assert (c37["payer"], c37["payee"]) == ("coreweave", "openai")
    assert c37["kind"] == "warrant" and num(c37["amount"]) == 0.35
    assert c37["status"] == "closed"
    # and it closes the CoreWeave <-> OpenAI vendor-financing loop with c36
    c36 = commitments["c36"]
    assert (c36["payer"], c36["payee"]) == ("openai", "coreweave")


def test_meta_amd_loop_is_binding(commitments):
    # Meta-AMD 2026-02-24 (AP via WOKV): 6 GW of GPUs, "up to 60 over five years" to
    # "more than 100", and a warrant for 160M AMD shares at 0.01 USD (audit f.2 #16-#17)
    legs = {r["id"]: r for r in commitments.values() if r["deal"] == "amd_meta_2026"}
    buy = next(r for r in legs.values() if (r["payer"], r["payee"]) == ("meta", "amd"))
    warrant = next(r for r in legs.values() if (r["payer"], r["payee"]) == ("amd", "meta"))
    assert buy["kind"] == "purchase" and warrant["kind"] == "warrant"
    assert buy["status"] in BINDING and warrant["status"] in BINDING
    assert (num(buy["amount_low"]), num(buy["amount_high"])) == (60.0, 100.0)
    # 160M shares x about 200 USD = 32; all vesting at the 600 USD hurdle = 96
    assert num(warrant["amount"]) == pytest.approx(160e6 * 200 / 1e9)
    assert num(warrant["amount_high"]) == pytest.approx(160e6 * 600 / 1e9)
    assert buy["announced"] == warrant["announced"] == "2026-02-24"


def test_oracle_leases_to_the_spvs_are_their_own_rows(commitments):
    leases = {r["payee"]: r for r in commitments.values()
              if r["payer"] == "oracle" and r["kind"] == "lease" and r["status"] in LIVE}
    spvs = ("vantage", "jupiter_nm", "michigan_dc", "abilene_jv")
    for spv in spvs:
        assert spv in leases, spv
        assert num(leases[spv]["amount"]) > 0
        assert "amount" in leases[spv]["estimated"]  # rents are not disclosed: sized to debt
    # sized to each SPV's debt (audit f.2 #20): vantage 23.25 + 14.75 (c09a/b),
    # jupiter 18 (c10), michigan 14 bonds (c97), abilene 9.4 debt + 5 equity, about 15
    assert num(leases["vantage"]["amount"]) == pytest.approx(
        num(commitments["c09a"]["amount"]) + num(commitments["c09b"]["amount"]))
    assert num(leases["jupiter_nm"]["amount"]) == num(commitments["c10"]["amount"])
    # the aggregate c14 no longer contains them: 248 (Oracle 10-Q, 2025-11-30) less
    # the carved-out leases
    carved = sum(num(leases[spv]["amount"]) for spv in spvs)
    c14 = commitments["c14"]
    assert c14["payee"] == "dc_landlords"
    assert num(c14["amount"]) == pytest.approx(248 - carved)
    assert num(c14["amount"]) == pytest.approx(163)


def test_vantage_loans_sit_on_the_syndicate_split_by_campus(commitments):
    # 38 = 23.25 TX Frontier + 14.75 WI (MT Newswires/Bloomberg, audit f.2 #21)
    a, b = commitments["c09a"], commitments["c09b"]
    assert a["payer"] == b["payer"] == "bank_syndicate"
    assert (num(a["amount"]), num(b["amount"])) == (23.25, 14.75)


def test_superseded_figures_are_lapsed_history(commitments):
    # the reported Michigan bank loan (c16) and the first Cerebras deal (c34) were
    # replaced by closed / enlarged terms; kept with lapsed_on, out of every total
    for rid, on in (("c16", "2026-04-24"), ("c34", "2026-04-16")):
        r = commitments[rid]
        assert r["status"] == "lapsed" and r["lapsed_on"] == on and r["prior_status"]
        assert not is_true(r["in_totals"])
    michigan = [r for r in commitments.values() if r["payee"] == "michigan_dc"
                and r["status"] == "closed" and is_true(r["in_totals"])]
    # 16 closed 2026-04-24: 14 of bonds + about 2 of equity (ET Startup / Reuters)
    assert sum(num(r["amount"]) for r in michigan) == pytest.approx(16)
    assert commitments["c17"]["status"] == "closed" and not is_true(commitments["c17"]["in_totals"])


def test_softbank_bridges_are_the_public_figures(commitments):
    # no 8.5 bridge exists in the public record: 15 (2025-05, 21 banks) and 40 (2026-03)
    bridges = sorted(num(r["amount"]) for r in commitments.values()
                     if (r["payer"], r["payee"], r["kind"]) == ("bank_lenders", "softbank", "loan"))
    assert bridges == [15.0, 40.0]


def test_c62_merger_is_not_cash_and_xai_merges_into_spacex(commitments, entities):
    c62 = commitments["c62"]
    assert c62["payee"] == "investors_xai" and not is_true(c62["in_totals"])
    assert entities["xai"]["merged_into"] == "spacex"
    assert entities["xai"]["merged_on"] == "2026-02-02"


def test_cerebras_and_tpu_spv_legs(commitments):
    cer = {(r["payer"], r["payee"], r["kind"]) for r in commitments.values()
           if r["deal"] == "openai_cerebras_2026"}
    assert {("openai", "cerebras", "compute"), ("cerebras", "openai", "warrant")} <= cer
    tpu = {(r["payer"], r["payee"], r["kind"]): r for r in commitments.values()
           if r["deal"] == "broadcom_xpu_2026"}
    assert ("anthropic", "broadcom_xpu_platform", "lease") in tpu
    assert num(tpu[("broadcom", "broadcom_xpu_platform", "backstop")]["amount"]) == 31
    assert ("broadcom_xpu_platform", "broadcom", "purchase") in tpu
    # the lenders' rows add up to the about 35 that closed
    debt = sum(num(r["amount"]) for k, r in tpu.items() if k[2] == "credit")
    assert debt == pytest.approx(35)


# ---- buffers ---------------------------------------------------------------------------
@pytest.mark.parametrize("eid, lo, hi", [
    # 10-K / group figures (audit c.3): AMD about 63, Alphabet about 416 (387 by P/B),
    # Broadcom about 81.3, SoftBank 15.64 trillion yen at 145-160 JPY/USD
    ("amd", 60, 66), ("alphabet", 380, 425), ("broadcom", 80, 83), ("softbank", 95, 110)])
def test_listed_firms_have_sourced_equity(entities, eid, lo, hi):
    e = entities[eid]
    assert lo <= num(e["equity"]) <= hi
    assert re.search(r"\[S\d+\]", e["source"]), "the equity must cite a source"
    assert e["as_of"], "and say when it was measured"


def test_estimated_equity_has_a_range_around_it(entities):
    estimated = [e for e in entities.values()
                 if "equity" in [t.strip() for t in e["estimated"].split(";")]]
    assert {"openai", "anthropic", "michigan_dc"} <= {e["id"] for e in estimated}
    for e in estimated:
        lo, eq, hi = num(e["equity_low"]), num(e["equity"]), num(e["equity_high"])
        assert None not in (lo, eq, hi), e["id"]
        assert lo <= eq <= hi, e["id"]
    # any range given at all contains its value
    for e in entities.values():
        if e["equity_low"] or e["equity_high"]:
            assert num(e["equity_low"]) <= num(e["equity"]) <= num(e["equity_high"]), e["id"]


def test_external_holders_are_flagged_with_a_holder_class(entities):
    for e in entities.values():
        # every entity names a holder class from the vocabulary
        assert e["holder_class"] in HOLDER_CLASSES, e["id"]
        assert e["external"] in ("true", "false"), e["id"]
        if e["type"] == "market":
            assert is_true(e["external"]), e["id"]
    external = {e["id"] for e in entities.values() if is_true(e["external"])}
    assert {"blue_owl", "pimco", "blackrock", "blackstone", "apollo", "bond_market",
            "equity_market", "bank_syndicate", "bank_lenders"} <= external
    # external holders carry no corporate equity as a buffer
    assert all(not entities[i]["equity"] for i in external)


def test_every_entity_that_can_absorb_a_loss_has_equity_or_a_stated_reason(commitments, entities):
    # an entity holds a claim (can lose) when it is the exposed side of a live row with an
    # amount: payer of equity/loan/bond/credit, payee of warrant/purchase/compute/lease/backstop
    exposed_payer = {"equity", "loan", "bond", "credit"}
    exposed_payee = {"warrant", "purchase", "compute", "lease", "backstop"}
    holders = set()
    for r in commitments.values():
        if r["status"] not in LIVE or num(r["amount"]) is None:
            continue
        if r["kind"] in exposed_payer:
            holders.add(r["payer"])
        elif r["kind"] in exposed_payee:
            holders.add(r["payee"])
    bare = {h for h in holders if not entities[h]["equity"] and not is_true(entities[h]["external"])}
    # the one stated exception (network README): Dell's book equity is a buyback deficit
    # (-2.47), left empty on purpose; xai holds no claim (merged into spacex)
    assert bare == {"dell"}


# ---- sources and totals ----------------------------------------------------------------
def test_every_cited_source_is_defined(commitments, entities, meta):
    defined = {s["id"] for s in meta["sources"]}
    cited = set()
    for r in list(commitments.values()) + list(entities.values()):
        cited |= set(re.findall(r"\[(S\d+)\]", r["source"]))
    assert cited and cited <= defined, sorted(cited - defined)
    for s in meta["sources"]:
        assert s.get("publisher"), s["id"]


def test_no_deal_counted_twice(commitments):
    live = counted(commitments)
    # one live, counted row per payer/payee/kind/amount/start: a duplicate would be the
    # same money twice
    keys = [(r["payer"], r["payee"], r["kind"], r["amount"], r["start"]) for r in live]
    assert len(keys) == len(set(keys))
    # superseded and umbrella figures are out of the totals
    for rid in ("c01", "c03", "c16", "c34", "c78a", "c78b", "c17", "c62", "c69"):
        r = commitments[rid]
        assert r["status"] == "lapsed" or not is_true(r["in_totals"]), rid
    # each split replaces its whole: c38 (2.35) and c48 (1.75 + 2.25) are gone, their
    # parts sum to the old tranches, and Nvidia's IPO order is not also in the IPO row
    assert "c38" not in commitments and "c48" not in commitments
    assert sum(num(commitments[i]["amount"]) for i in ("c38a", "c38b", "c38c")) == pytest.approx(2.35)
    ipo = commitments["c95"]
    assert num(ipo["amount"]) + num(commitments["c38b"]["amount"]) == pytest.approx(
        num(ipo["amount_high"]))


def test_amount_ranges_contain_the_amount(commitments):
    for r in commitments.values():
        a, lo, hi = num(r["amount"]), num(r["amount_low"]), num(r["amount_high"])
        if a is not None and lo is not None:
            assert lo <= a, r["id"]
        if a is not None and hi is not None:
            assert a <= hi, r["id"]
        if lo is not None and hi is not None:
            assert lo <= hi, r["id"]


def test_statuses_are_as_of_the_network_date(commitments, meta):
    as_of = str(meta["as_of"])
    for r in commitments.values():
        if r["announced"]:
            # nothing announced after the network's as_of (2026-06-11); the SpaceX IPO was
            # priced on that day and is the boundary case
            assert r["announced"][:len(as_of)] <= as_of, r["id"]
        if r["status"] == "lapsed":
            assert r["prior_status"] in LIVE, r["id"]
    assert commitments["c113"]["announced"] == as_of


def test_yaml_counts_match_the_files(commitments, entities, meta):
    text = meta["description"]
    assert f"{len(commitments)} commitments" in text and f"{len(entities)} entities" in text
    assert meta["missing_equity"] == "skip"
    # still true: some non-external entities have no equity (see the README), so the
    # network keeps a rule for them
    assert any(not e["equity"] and not is_true(e["external"]) for e in entities.values())
