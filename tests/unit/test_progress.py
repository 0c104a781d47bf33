"""Long commands show progress on a terminal and write nothing in CI or into a file."""

import io

from tools import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_the_line_redrawn(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    screen = Terminal()
    bar = progress.Progress("bench", total=3, stream=screen)
    bar.update(1, "cold_start", force=True)
    bar.update(2, "contention", force=True)
    bar.close()
    assert "\rbench: 1/3 cold_start" in screen.getvalue() and "\rbench: 2/3 contention" in screen.getvalue()


def test_ci_and_files_stay_quiet(monkeypatch):
    monkeypatch.setenv("CI", "1")
    screen, log = Terminal(), io.StringIO()
    for stream in (screen, log):
        bar = progress.Progress("bench", total=3, stream=stream)
        bar.update(1, force=True)
        bar.close()
    monkeypatch.delenv("CI")
    quiet = progress.Progress("verify", stream=log)
    quiet.update(5, force=True)
    assert screen.getvalue() == log.getvalue() == ""


def test_a_plan_dry_run_shows_its_entries_on_a_terminal(monkeypatch, api_on_moto):
    """`make invoke` of a scheduled plan (here a dry run) shows the entries as they are assessed."""
    import sys

    from ledger.scheduled_adjustments import apply
    from tests.support.scheduling import entries_for, plan, run_scheduler
    from tools import invoke

    customers = [api_on_moto.customer()["id"] for _ in range(2)]
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stderr", screen := Terminal())
    monkeypatch.setattr(apply, "on_entry", None)
    shown = invoke._plan_progress()
    monkeypatch.setattr(progress, "REDRAW_INTERVAL_S", 0.0)
    run_scheduler(plan(entries_for(customers), dry_run=True))
    shown.close()
    assert "\rplan: 2 entries, 2 would apply, 0 rejected" in screen.getvalue()
