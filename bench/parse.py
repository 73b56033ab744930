"""Parser throughput: `parse_message` against a bare stdlib parse loop, on one corpus.

    python bench/parse.py --messages 3000 --repeat 3

No database is touched, but importing the corpus sets Django up: give it a data
directory of its own, TRADEPORT_DATA_DIR=var/bench-parse (the default here).
The corpus is bench/ingest.py's (fixed seed); the floor is its `floor()`:
`email.message_from_bytes(policy.default)` plus the text body, the HTML body and
the attachment names. Both loops run in this one process, interleaved (floor
first on odd rounds, parse_message first on even ones) after one untimed
warm-up pass, so the ratio holds when the machine drifts. The ratio reported is
parse_message / floor of the medians; the ratio of the best rounds is shown too.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
os.environ.setdefault("TRADEPORT_DATA_DIR", str(HERE.parent / "var" / "bench-parse"))
sys.path.insert(0, str(HERE))

from ingest import corpus, floor  # noqa: E402  (sets Django up)

from tradeport.mail.parsing import parse_message  # noqa: E402

TARGET = 1.5  # parse_message at least 1.5 times the floor's rate (the target)


def ours(messages: list[bytes]) -> float:
    began = time.perf_counter()
    for raw in messages:
        parse_message(raw)
    return len(messages) / (time.perf_counter() - began)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    messages = corpus(args.messages)
    size = sum(map(len, messages)) / len(messages) / 1024
    warm = messages[:200]
    floor(warm)
    ours(warm)
    bare, parsed = [], []
    for round_ in range(args.repeat):
        if round_ % 2 == 0:
            bare.append(floor(messages))
            parsed.append(ours(messages))
        else:
            parsed.append(ours(messages))
            bare.append(floor(messages))
        print(f"  round {round_ + 1}: floor {bare[-1]:7.0f}/s, parse_message {parsed[-1]:7.0f}/s, "
              f"ratio {parsed[-1] / bare[-1]:.2f}x", flush=True)
    median_bare, median_parsed = statistics.median(bare), statistics.median(parsed)
    ratio = median_parsed / median_bare
    best = max(parsed) / max(bare)
    print(f"{len(messages)} messages, {size:.0f} KiB on average, {args.repeat} rounds (median of rounds)")
    print("| messages | floor msg/s | parse_message msg/s | ratio (median) | ratio (best) | target |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {len(messages)} | {median_bare:.0f} | {median_parsed:.0f} | {ratio:.2f}x | {best:.2f}x "
          f"| ≥ {TARGET:.1f}x {'met' if ratio >= TARGET else 'missed'} |")


if __name__ == "__main__":
    sys.exit(main())
