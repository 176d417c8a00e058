"""CI result files: our recordings, pytest-reportlog and JUnit XML, read into our events.

`open_results(paths)` reads each file (refusing the unreadable with a `ResultFileError` that names
it and says why) and merges them into one `RunState` through the same fold as a live run.
"""

from pytest_web.results.merge import Results, merge, open_results
from pytest_web.results.read import read_file
from pytest_web.results.source import ResultFile, ResultFileError

__all__ = ["ResultFile", "ResultFileError", "Results", "merge", "open_results", "read_file"]
