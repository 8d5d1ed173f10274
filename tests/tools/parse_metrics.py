#!/usr/bin/python3
"""Parses a Prometheus text exposition with the reference client's parser.

Usage: parse_metrics.py FILE. Prints {"family": {"type": T, "samples": [[name, labels,
value], ...]}} as JSON, or the parser's error on stderr with exit status 1. A test
asserts on the JSON, so the node's /metrics is checked by a parser it did not write.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    out = {}
    try:
        for family in text_string_to_metric_families(text):
            if family.name in out:
                raise ValueError(f"family {family.name} appears twice")
            out[family.name] = {
                "type": family.type,
                "samples": [[s.name, s.labels, s.value] for s in family.samples],
            }
    except Exception as e:  # the parser raises ValueError and others on bad input
        print(f"parse error: {e}", file=sys.stderr)
        return 1
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
