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
