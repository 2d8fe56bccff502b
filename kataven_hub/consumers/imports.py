"""The commands' work on files: `hub consumers import` (pact files read by `pacts`, each interaction
written into its consumer's contract as a use of the operation it calls, `interactions`, and checked
against the document, `pactcheck`) and `hub consumers check` (a folder of contracts and pacts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kataven_hub.consumers.check import Break, check
from kataven_hub.consumers.contract import Contract, empty, union
from kataven_hub.consumers.files import ContractFiles, consumer_name, file_name, read_all
from kataven_hub.consumers.interactions import base_paths, name, route, use
from kataven_hub.consumers.pactcheck import check_pact
from kataven_hub.consumers.pacts import Pact, is_pact, read_pact
from kataven_hub.consumers.record import credentials
from kataven_hub.openapi import Operation


def contract_of(pact: Pact, document: dict[str, Any], operations: list[Operation]) -> Contract:
    """The pact's interactions as a consumer contract (the first example of a field kept)."""
    bases, hidden = base_paths(document), credentials(document)
    contract = empty(consumer_name(pact.consumer))
    for interaction in pact.interactions:
        routed = route(operations, bases, interaction.method, interaction.path)
        contract = union(contract, {"operations": {name(interaction, routed): use(interaction, routed, hidden)}})
    return contract


def import_pacts(paths: list[Path], directory: Path, document: dict[str, Any], operations: list[Operation]) -> tuple[list[Break], list[Path], int]:
    """Every pact's contract merged into `DIR/<consumer>.json` (whether its interactions hold or not:
    the file says what the consumer uses, `hub consumers check` whether the document allows it); the
    interactions that do not hold, the files written, and how many interactions were read. ValueError,
    in a line, where a file is not a pact: then nothing is written."""
    pacts = [read_pact(path) for path in paths]
    files = ContractFiles(directory)
    by_consumer: dict[str, Contract] = {}
    for pact in pacts:
        contract = contract_of(pact, document, operations)
        by_consumer[contract["consumer"]] = union(by_consumer.get(contract["consumer"], contract), contract)
    for contract in by_consumer.values():
        files.save(contract)
    breaks = [problem for pact in pacts for problem in check_pact(pact, document, operations)]
    written = sorted({directory / file_name(consumer) for consumer in by_consumer})
    return breaks, written, sum(len(pact.interactions) for pact in pacts)


def check_folder(directory: Path, document: dict[str, Any], operations: list[Operation]) -> tuple[list[Break], int]:
    """Every break of every contract in the folder and every interaction of its pacts that does not
    hold, and how many operations and interactions were checked; ValueError, in a line, where the
    folder holds neither or a file that is not one."""
    if not directory.is_dir():
        raise ValueError(f"{directory}: no such folder of consumer contracts")
    pact_files = [path for path in sorted(directory.glob("*.json")) if path.is_file() and is_pact(path)]
    contracts, pacts = read_all(directory, leaving_out=pact_files), [read_pact(path) for path in pact_files]
    if not contracts and not pacts:
        raise ValueError(f"{directory}: no consumer contract or pact (*.json) in it")
    found = [problem for _path, contract in contracts for problem in check(contract, operations)]
    found += [problem for pact in pacts for problem in check_pact(pact, document, operations)]
    return found, sum(len(c["operations"]) for _p, c in contracts) + sum(len(p.interactions) for p in pacts)
