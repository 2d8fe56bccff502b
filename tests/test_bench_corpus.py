"""Target 16 (bench/corpus.py) when Prism does not start on a document: its result is recorded as
"did not start (why)" and the run goes on to the next document. A fake peer stands in for both
servers (no network, no Prism): it exits, hangs, or answers, as its document's name says."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import corpus
from bench.harness import Config, DidNotStart, Server
from tests.corpus.install import Document

PEER = f"""#!{sys.executable}
import http.server, os, pathlib, sys, time
document, port = sys.argv[sys.argv.index("--host") + 2], int(sys.argv[sys.argv.index("--port") + 1])
if "broken" in document:
    print("starting"); print("Error: the document cannot be dereferenced"); sys.exit(3)
if "hangs" in document:
    pathlib.Path(document + ".pid").write_text(str(os.getpid())); time.sleep(120)
http.server.HTTPServer(("127.0.0.1", port), http.server.BaseHTTPRequestHandler).serve_forever()
"""
FIELDS: dict[str, Any] = {"package": "npm:x@1", "service": "x", "upstream": "x", "licence": "x", "generator": "x",
                          "openapi": "3.0.3", "format": "yaml", "bytes": 1, "operations": 5, "valid": True, "yaml_habits": False}  # fmt: skip


def _document(tmp_path: Path, name: str) -> Document:
    return Document(name=name, path=tmp_path / f"{name}.yaml", **FIELDS)


def test_a_document_whose_prism_does_not_start_is_recorded_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    peer = tmp_path / "peer"
    peer.write_text(PEER)
    peer.chmod(0o755)
    names = ["broken", "hangs", "fine"]
    monkeypatch.setattr(corpus, "corpus", lambda: [_document(tmp_path, name) for name in names])
    monkeypatch.setattr(corpus, "prism_binary", lambda: peer)
    monkeypatch.setattr(corpus, "ours", lambda document, tmp, cache="cache": corpus.started(
        [str(peer), "mock", "--host", "127.0.0.1", "ours.yaml"], {}, tmp / f"ours-{document.name}.log"))  # fmt: skip
    monkeypatch.setattr(corpus, "clean", lambda base, document, reports, config: (4 if reports.name.startswith("ours") else 2, 5))
    monkeypatch.setattr(Server, "START_SECONDS", 6.0)  # a peer starts in 0.1–1.2 s on a busy 2-core machine
    config = Config(smoke=False, rows=1, repeat=1, seconds=1.0, large=b"", small=b"")

    clean, start = corpus.served_clean(config, tmp_path)

    exited = "Prism did not start (exited with 3: Error: the document cannot be dereferenced)"
    hung = "Prism did not start (no HTTP answer within 6 s)"
    assert clean.detail.endswith(f"broken (3.0) 4 vs {exited} of 5; hangs (3.0) 4 vs {hung} of 5; fine (3.0) 4 vs 2 of 5")
    assert (clean.figure, clean.baseline, clean.passed) == (12, 2, False)  # 12 of 15 is under 95 %
    assert "broken (3.0) " in start.detail and f"/{exited}; hangs" in start.detail and start.detail.startswith("worst fine")
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0].strip() for line in printed] == ["16 broken", "16 hangs", "16 fine"]
    assert f"clean 4 vs {hung} of 5" in printed[1] and "clean 4 vs 2 of 5" in printed[2]
    hanging = int((tmp_path / "hangs.yaml.pid").read_text())
    with pytest.raises(ProcessLookupError):  # the peer that never answered was stopped, not left running
        os.kill(hanging, 0)


def _starts(calls: list[tuple[str, str]], times: dict[str, list[float | None]], kind: str) -> Any:
    """A stand-in for `corpus.ours` or `corpus.prism`: each start takes the next of its times (None: it does not start)."""

    @contextlib.contextmanager
    def start(document: Document, tmp: Path, cache: str = "") -> Iterator[tuple[None, float]]:
        calls.append((kind, cache))
        took = times[kind].pop(0)
        if took is None:
            raise DidNotStart("no HTTP answer within 60 s")
        yield None, took

    return start


def test_start_up_is_each_server_s_median_of_its_starts_taken_in_turn_ours_each_cold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    times: dict[str, list[float | None]] = {"ours": [3.0, 1.0, 2.0], "prism": [5.0, 4.0, 9.0]}
    monkeypatch.setattr(corpus, "ours", _starts(calls, times, "ours"))
    monkeypatch.setattr(corpus, "prism", _starts(calls, times, "prism"))

    assert corpus.start_ups(_document(tmp_path, "fine"), tmp_path) == (2.0, 5.0, "")
    assert calls == [("ours", "cold-0"), ("prism", ""), ("ours", "cold-1"), ("prism", ""), ("ours", "cold-2"), ("prism", "")]


def test_prism_is_not_started_again_once_it_has_not_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    times: dict[str, list[float | None]] = {"ours": [3.0, 1.0, 2.0], "prism": [None]}
    monkeypatch.setattr(corpus, "ours", _starts(calls, times, "ours"))
    monkeypatch.setattr(corpus, "prism", _starts(calls, times, "prism"))

    assert corpus.start_ups(_document(tmp_path, "hangs"), tmp_path) == (2.0, None, "no HTTP answer within 60 s")
    assert [kind for kind, _cache in calls] == ["ours", "prism", "ours", "ours"]
