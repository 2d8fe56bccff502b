"""`make spec-gate`: the gate on the spec itself, in `make test` and CI.

1. `hub diff` between the document at the merge base with the default branch and the working
   tree's; the Markdown report goes to `reports/spec-diff.md` (for a pull-request comment). A change
   graded `error` fails the gate; a deliberate break passes only by a reviewed line in
   `hub-diff.toml` (there is no flag for it). Where the repository has a `consumers/` folder (the
   committed consumer contracts: `make consumers`), each break is graded by use (`--consumers`).
2. If the document changed, the previous contract against the server of the working tree
   (`hub contract --base-spec <base>`): what the old document promised must still hold.

With no default branch to compare with (a repository of one branch, a shallow clone), the gate says
so and passes. Exit 0 = nothing breaks a client.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import warnings
from pathlib import Path

from support.servers import BIN

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi.yaml"
CONSUMERS = ROOT / "consumers"


def main() -> int:
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from kataven_hub.diff.gate import merge_base, read_version
    from kataven_hub.errors import ConfigurationError

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--report-dir", type=Path, default=ROOT / "reports")
    parser.add_argument("--max-examples", type=int, default=100, help="of the previous contract's run")
    args = parser.parse_args()
    report = args.report_dir / "spec-diff.md"
    try:
        base = merge_base(ROOT)
    except ConfigurationError as err:
        args.report_dir.mkdir(parents=True, exist_ok=True)
        report.write_text(f"### `hub diff`: not run\n\n{err}: nothing to compare with.\n")
        print(f"spec-gate: {err}: nothing to compare with; passing")
        return 0
    print(f"spec-gate: {SPEC.name} at {base[:12]} (the merge base with the default branch) -> the working tree")
    by_use = ["--consumers", str(CONSUMERS)] if CONSUMERS.is_dir() else []
    diffed = subprocess.run([str(BIN / "hub"), "diff", base, "--spec", str(SPEC), "--report", str(report), *by_use], cwd=ROOT)
    if diffed.returncode == 2:
        return 2
    if read_version(base, SPEC)[0] == SPEC.read_text():
        print("spec-gate: the document is the base's; its contract is the one `make contract-test` checks")
        return diffed.returncode
    previous = subprocess.run(
        [str(BIN / "hub"), "contract", "--spec", str(SPEC), "--base-spec", base, "--seed", str(args.seed),
         "--report-dir", str(args.report_dir), "--max-examples", str(args.max_examples)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))},
    )  # fmt: skip
    return diffed.returncode or previous.returncode


if __name__ == "__main__":
    raise SystemExit(main())
