"""python -m tools.sample_data [--out DIR]: write every source's sample files, then check them."""
from __future__ import annotations

import argparse
from pathlib import Path

from tools.sample_data import employment, enterprise, investment
from tools.sample_data.checks import employment as employment_checks
from tools.sample_data.checks import enterprise as enterprise_checks
from tools.sample_data.checks import investment as investment_checks

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "include" / "data"  # not settings.data_dir(): a DATA_DIR of real files stays untouched

SOURCES = {  # source name -> (generator, self-check)
    enterprise.SOURCE: (enterprise.generate, enterprise_checks.check),
    investment.SOURCE: (investment.generate, investment_checks.check),
    employment.SOURCE: (employment.generate, employment_checks.check),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.sample_data",
                                     description="Write the sample files of every source, then check them "
                                                 "against the seed targets.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="data directory (default: include/data)")
    args = parser.parse_args(argv)
    for name, (generate, check) in SOURCES.items():
        records = generate(args.out)
        print(f"{name}: {len(records)} rows in {args.out / name}")
        check(records)


if __name__ == "__main__":
    main()
