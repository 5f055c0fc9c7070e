"""``indicators schema``: print the JSON Schema of a spec file (or of the merged framework)."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=("file", "framework"), default="file",
                        help="file: one spec file as written (default); framework: the merged framework")
    parser.add_argument("-o", "--output", help="write to this file instead of standard output")


def json_schema(model: str = "file") -> dict:
    from ..specs.model import Framework, SpecFile

    cls = SpecFile if model == "file" else Framework
    schema = cls.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def run(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(args.model), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        print(text, end="")
    return 0
