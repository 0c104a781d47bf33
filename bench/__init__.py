"""`make bench`: the performance suite (see suite.py); results in bench/results.json."""
