"""One long-lived process that runs ``jcrnet`` command lines and reports each one's peak memory, so that the corpus
pays for importing torch and MindSpore once, not per case.

Protocol: one JSON list of arguments per line on stdin; one JSON object per line on stdout: ``code``, ``err`` (what
the command printed on stderr), ``peak_kb`` (VmHWM after the run, reset before it by writing 5 to
``/proc/self/clear_refs``) and ``traceback`` (the text of an exception that escaped ``main``, else null).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import traceback

os.environ.setdefault("GLOG_v", "3")

import torch  # noqa: E402,F401  (before MindSpore)

import mindspore  # noqa: E402,F401  (imported up front: its memory is the baseline, not the case's)

from jcrnet_kit.cli import main  # noqa: E402


def peak_kb() -> int:
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def serve() -> None:
    protocol = sys.stdout
    for line in sys.stdin:
        argv = json.loads(line)
        reset_peak()
        err, out, escaped = io.StringIO(), io.StringIO(), None
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                code = main(argv)
            except BaseException:  # noqa: B036  (reported to the test, which fails on it)
                code, escaped = 1, traceback.format_exc()
        protocol.write(json.dumps({"code": code, "err": err.getvalue(), "peak_kb": peak_kb(),
                                   "traceback": escaped}) + "\n")
        protocol.flush()


if __name__ == "__main__":
    serve()
