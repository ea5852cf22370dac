"""`dbt build` on DuckDB over the demo data: everything passes; the marts say what they should."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from replayport.privacy.hashing import IdentifierHasher
from replayport.transform import headline_answers, run_dbt
from tests.dbt.conftest import DEMO_KEY, DemoBuild, copy_warehouse, rows

MODELS = Path(__file__).resolve().parents[2] / "dbt_project" / "models"


def _unit_tests() -> tuple[str, ...]:
    """Every unit test the project declares, so a new one is asserted without listing it."""
    return tuple(
        test["name"]
        for path in sorted(MODELS.rglob("*.yml"))
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", [])
    )


UNIT_TESTS = _unit_tests()


MARTS = (
    "fct_sessions",
    "fct_session_payments",
    "fct_page_friction",
    "fct_clickmap",
    "fct_console_errors_churn",
    "dim_users",
)


def test_dbt_build_passes_models_data_tests_and_unit_tests(demo_build: DemoBuild) -> None:
    result = demo_build.result
    assert result.success, result.failures
    assert not result.failures
    assert set(result.counts) <= {"success", "pass"}, result.counts
    nodes = " ".join(demo_build.progress)
    for mart in MARTS:
        assert f"model {mart} success" in nodes
    # generic, singular and unit tests all ran
    assert "test unique_fct_sessions_session_id pass" in nodes
    assert "assert_no_fan_out_in_session_payments pass" in nodes
    assert "assert_revenue_reconciles_with_payment_identities pass" in nodes
    assert "assert_every_session_in_fct_sessions pass" in nodes
    assert "revenue_sums_never_add_currencies" in UNIT_TESTS
    assert "partially_refunded_payments_count_net" in UNIT_TESTS
    for unit_test in UNIT_TESTS:
        assert f"{unit_test} pass" in nodes, f"unit test {unit_test} did not pass"


def test_every_session_once_in_fct_sessions(demo_build: DemoBuild) -> None:
    db = demo_build.settings.duckdb_path
    [(loaded, facts, distinct)] = rows(
        db,
        """
        select (select count(*) from posthog_replay.sessions),
               (select count(*) from posthog_replay_marts.fct_sessions),
               (select count(distinct session_id) from posthog_replay_marts.fct_sessions)
        """,
    )
    assert loaded == facts == distinct == demo_build.manifest.session_count


def test_revenue_reconciles_in_python(demo_build: DemoBuild) -> None:
    """Independent of dbt's own tests: the succeeded charges in payments.json, in dollars, net
    of their partial refunds."""
    charges = json.loads(demo_build.manifest.payments.read_text())["data"]
    expected = sum(
        Decimal(c["amount"] - c["amount_refunded"]) / 100
        for c in charges
        if c["status"] == "succeeded" and not c["refunded"]
    )
    partly = [c for c in charges if c["amount_refunded"] and not c["refunded"]]
    assert partly, "the demo has partial refunds"
    db = demo_build.settings.duckdb_path
    [(payments, users, facts_total, partial_refunds, flagged)] = rows(
        db,
        """
        select (select sum(revenue) from posthog_replay_marts.fct_session_payments),
               (select sum(lifetime_revenue) from posthog_replay_marts.dim_users),
               (select count(*) from posthog_replay_marts.fct_session_payments),
               (select sum(amount_refunded) from posthog_replay_marts.fct_session_payments
                where payment_status = 'succeeded'),
               (select count(*) from posthog_replay_marts.fct_session_payments
                where is_partially_refunded and revenue = net_amount
                      and net_amount = amount - amount_refunded)
        """,
    )
    assert Decimal(payments) == Decimal(users) == expected
    assert facts_total == len(charges)
    assert Decimal(partial_refunds) == sum(Decimal(c["amount_refunded"]) / 100 for c in partly)
    assert flagged == len(partly)


@pytest.mark.parametrize("loaded", ["before the refund column", "no payments"])
def test_older_or_payment_less_warehouses_still_build(
    demo_build: DemoBuild, tmp_path: Path, loaded: str
) -> None:
    """A warehouse loaded by a replayport without `amount_refunded` (until its next load adds
    the column), or without any payments, builds: the missing column/table reads as null/empty."""
    settings = copy_warehouse(demo_build, tmp_path / "older")
    import duckdb

    with duckdb.connect(str(settings.duckdb_path)) as con:
        if loaded == "no payments":
            con.execute("drop table posthog_replay.payment_identities")
        else:
            con.execute("alter table posthog_replay.payment_identities drop column amount_refunded")
    result = run_dbt(settings, "build", select=["stg_payments__payments+"])
    assert result.success, result.failures
    [(revenue, refunded, expected)] = rows(
        settings.duckdb_path,
        """
        select (select coalesce(sum(revenue), 0) from posthog_replay_marts.fct_session_payments),
               (select coalesce(sum(amount_refunded), 0)
                from posthog_replay_marts.fct_session_payments
                where payment_status = 'succeeded'),
               (select coalesce(sum(amount), 0) from posthog_replay_marts.fct_session_payments
                where payment_status = 'succeeded')
        """,
    )
    # without refund amounts, the successful payments count whole, as before the column
    assert refunded == 0 and revenue == expected
    if loaded == "no payments":
        assert revenue == 0


def test_payment_and_session_hashes_agree(demo_build: DemoBuild) -> None:
    """A known demo user's payments join their sessions through `email_hash`."""
    charges = json.loads(demo_build.manifest.payments.read_text())["data"]
    email = charges[-1]["billing_details"]["email"]  # the oldest charge's payer
    email_hash = IdentifierHasher(DEMO_KEY).hash_email(email)
    db = demo_build.settings.duckdb_path
    [(sessions, payments, attributed, own_session)] = rows(
        db,
        f"""
        select
            (select count(*) from posthog_replay.sessions where email_hash = '{email_hash}'),
            (select count(*) from posthog_replay.payment_identities
             where email_hash = '{email_hash}'),
            (select count(*) from posthog_replay_marts.fct_session_payments
             where email_hash = '{email_hash}' and is_attributed),
            (select count(*) from posthog_replay_marts.fct_session_payments as p
             join posthog_replay_marts.fct_sessions as s on p.session_id = s.session_id
             where p.email_hash = '{email_hash}' and s.email_hash = '{email_hash}')
        """,
    )
    assert sessions > 0 and payments > 0
    assert attributed > 0 and own_session == attributed
    # and every payer of the demo has sessions under the same hash
    [(payers_without_sessions,)] = rows(
        db,
        """
        select count(distinct p.email_hash) from posthog_replay.payment_identities as p
        left join posthog_replay.sessions as s on p.email_hash = s.email_hash
        where s.session_id is null
        """,
    )
    assert payers_without_sessions == 0


def test_marts_grains(demo_build: DemoBuild) -> None:
    db = demo_build.settings.duckdb_path
    [(cohorts, bins_ok, friction_pages, users)] = rows(
        db,
        """
        select
            (select count(*) from posthog_replay_marts.fct_console_errors_churn),
            (select bool_and(x_bin between 0 and 19 and y_bin between 0 and 19
                             and x_center > 0 and x_center < 1)
             from posthog_replay_marts.fct_clickmap),
            (select count(distinct page_path) from posthog_replay_marts.fct_page_friction),
            (select count(*) from posthog_replay_marts.dim_users)
        """,
    )
    assert cohorts == 2
    assert bins_ok
    assert friction_pages >= 5
    assert users == 12  # the demo's users


def test_headline_answers(demo_build: DemoBuild) -> None:
    answers = headline_answers(demo_build.settings)
    assert len(answers) == 3
    churn, friction, revenue = answers
    assert "console errors" in churn.question and "%" in churn.answer
    assert friction.answer.startswith("/help")  # where the demo's errors and rage clicks are
    assert "refunded" in revenue.answer
    for answer in answers:
        assert "@" not in answer.answer


def test_singular_tests_catch_fan_out_lost_sessions_and_revenue_drift(
    demo_build: DemoBuild, tmp_path: Path
) -> None:
    """Break a copy of the marts the classic ways; the data tests must fail."""
    settings = copy_warehouse(demo_build, tmp_path / "broken")
    import duckdb

    with duckdb.connect(str(settings.duckdb_path)) as con:
        # a join that fanned out: one attributed payment twice
        con.execute(
            """
            insert into posthog_replay_marts.fct_session_payments
            select * from posthog_replay_marts.fct_session_payments
            where is_attributed and is_succeeded limit 1
            """
        )
        # a session lost on the way
        con.execute(
            "delete from posthog_replay_marts.fct_sessions where session_id = "
            "(select min(session_id) from posthog_replay_marts.fct_sessions)"
        )
    result = run_dbt(settings, "test", select=["test_type:singular"])
    assert not result.success
    failed = " ".join(result.failures)
    assert "assert_no_fan_out_in_session_payments" in failed
    assert "assert_every_session_in_fct_sessions" in failed
    assert "assert_revenue_reconciles_with_payment_identities" in failed


@pytest.mark.parametrize("mart", MARTS)
def test_marts_hold_hashed_identifiers_only(demo_build: DemoBuild, mart: str) -> None:
    emails = {
        c["billing_details"]["email"].lower()
        for c in json.loads(demo_build.manifest.payments.read_text())["data"]
    }
    db = demo_build.settings.duckdb_path
    text = " ".join(str(r) for r in rows(db, f"select * from posthog_replay_marts.{mart}")).lower()
    assert not any(email in text for email in emails)
