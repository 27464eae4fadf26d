"""The long fuzz run: every public function and CLI option, one bad argument at a time.

Prints the counts per module in the form of issue 12 and writes every finding (function,
parameter, bad value, outcome, detail) grouped by module to a text file.

Usage::

    python benchmarks/fuzz_long.py [--out benchmarks/fuzz_findings.txt] [--seconds 3] [--only ring,star]

Each case runs in a worker subprocess (address space limited to 3 GiB) under a per-call alarm;
a worker that does not answer within the limit plus a grace period is killed and the case
counted as a hang (see ``tests/fuzz/harness.py``).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fuzz import harness as h  # noqa: E402

BAD_API = ("vague", "other", "hang", "accepted")
BAD_CLI = ("multiline", "traceback", "hang", "accepted")

#: A few full runs of the installed command in a subprocess (exit code, one-line error).
SUBPROCESS_RUNS = [
    ["rate", "--topology", "ring", "--n", "8", "--zeta", "nan"],
    ["rate", "--topology", "binary_tree", "--n", "65", "--zeta", "50"],
    ["compare", "--topologies", "ring:1e9"],
    ["schedules", "--lr", "50", "--n", "4", "--d", "2", "--steps", "20", "--budget", "5"],
    ["crosscheck", "--reps", "-1"],
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "fuzz_findings.txt"))
    ap.add_argument("--seconds", type=float, default=h.TIME_LIMIT)
    ap.add_argument("--grace", type=float, default=20.0)
    ap.add_argument("--only", default=None, help="comma-separated function names / CLI commands")
    args = ap.parse_args(argv)
    only = args.only.split(",") if args.only else None
    t0 = time.time()
    api = h.api_cases([f for f in h.public_callables() if not only or f in only])
    cli = h.cli_cases(only)
    api_rows = list(h.run_isolated("api", api, seconds=args.seconds, grace=args.grace))
    cli_rows = list(h.run_isolated("cli", cli, seconds=args.seconds, grace=args.grace))
    sub_rows = []
    for argv_ in SUBPROCESS_RUNS:
        try:
            code, _, err = h.run_cli_subprocess(argv_, seconds=60)
            lines = [ln for ln in err.strip().splitlines() if ln.strip()]
            outcome = "clean" if code == 2 and len(lines) == 1 else (
                "multiline" if code == 2 else ("traceback" if code != 0 else "exit 0"))
            sub_rows.append((" ".join(argv_), outcome, f"exit {code}: {err.strip()[-200:]}"))
        except Exception as exc:  # noqa: BLE001
            sub_rows.append((" ".join(argv_), "hang", repr(exc)))
    api_table, cli_table = h.tabulate(api_rows, h.OUTCOMES), h.tabulate(cli_rows, h.CLI_OUTCOMES)
    text = [f"API: {len(api_rows)} calls", h.format_table(api_table, h.OUTCOMES), "",
            f"CLI: {len(cli_rows)} in-process runs", h.format_table(cli_table, h.CLI_OUTCOMES), "",
            "CLI subprocess runs:"] + [f"  {o:10s} topotheory {a}" for a, o, _ in sub_rows]
    text.append(f"\n({time.time() - t0:.0f} s)")
    print("\n".join(text))
    findings = ["\n".join(text), "", "Findings (outcomes other than clear/valid), grouped by module", ""]
    for rows, bad in ((api_rows, BAD_API), (cli_rows, BAD_CLI)):
        by_mod = {}
        for case, outcome, detail in rows:
            if outcome in bad:
                by_mod.setdefault(case.module, []).append((case, outcome, detail))
        for mod in sorted(by_mod):
            findings.append(f"== {mod} ({len(by_mod[mod])})")
            for case, outcome, detail in by_mod[mod]:
                findings.append(f"  {case.func}  {case.param}={case.bad.label}  -> {outcome}: {detail}")
            findings.append("")
    findings.append("== CLI subprocess runs")
    findings += [f"  topotheory {a}  -> {o}: {d}" for a, o, d in sub_rows]
    pathlib.Path(args.out).write_text("\n".join(findings) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
