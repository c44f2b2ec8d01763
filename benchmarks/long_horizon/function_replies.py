"""What a model writes for each node of a family in the function format (agent/function_attempt.py).

DIAGNOSTIC, not the benchmark: it takes the planner out. For every reference node of the family that names
one file, it builds the workspace as the reference solution leaves it before that node (its predecessors'
reference steps, in topological order), asks the model exactly what a function-format attempt asks (the
same instruction, target, prompt, examples and repetition penalty; the first try greedy, the others at
`max.temperature`), splices each reply and runs the node's reference checks on a copy. It prints, per node,
one letter per reply: P passed the checks, f applied but failed them, u unusable (no code, not Python,
none of its functions in the file).

    .venv/bin/python benchmarks/long_horizon/function_replies.py --family small_functions.json --tries 4 [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from mimo_lsp.agent.executor import Attempt  # noqa: E402
from mimo_lsp.agent.function_attempt import instruction, target_file  # noqa: E402
from mimo_lsp.agent.plan import PlanNode  # noqa: E402
from mimo_lsp.bench.family import apply_step, check_passes, load_family, topo_nodes  # noqa: E402
from mimo_lsp.bench.long_horizon import _open_model, write_files  # noqa: E402
from mimo_lsp.config import Settings  # noqa: E402
from mimo_lsp.llm.port import ChatMessage  # noqa: E402
from mimo_lsp.maxmode import edit_format as ef  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", default="small_functions.json")
    ap.add_argument("--tries", type=int, default=4, help="replies per node: the first greedy, the rest sampled")
    ap.add_argument("--model", default="default")
    ap.add_argument("--json")
    args = ap.parse_args()
    family = load_family(HERE / "families" / args.family)
    settings = Settings()
    model = _open_model(args.model)
    order = topo_nodes(family)
    rows, t0 = [], time.time()
    with tempfile.TemporaryDirectory(prefix="mimo-fr-") as root:
        base = Path(root) / "base"
        write_files(base, family["files"])
        for ref in order:
            node = PlanNode(id=ref["id"].replace(".", "-")[:16], title=ref["title"], depends_on=[],
                            expected_output=ref["expected_output"], files=ref.get("files", []),
                            checks=ref.get("checks", []))
            rel = target_file(node)
            letters = ""
            if rel is not None and (base / rel).is_file():
                text = (base / rel).read_text(encoding="utf-8")
                focus = " ".join([node.title, node.expected_output] + [c.label() for c in node.checks])
                target = ef.find_target(focus, rel, text)
                failures: list[str] = []
                for k in range(1, args.tries + 1):
                    msgs = [ChatMessage(role=m["role"], content=m["content"])  # type: ignore[arg-type]
                            for m in ef.build_messages(instruction(Attempt(family["instruction"], "", node, None, k,
                                                                           failures)),
                                                       rel, text, target, examples=ef.examples_for(k))]
                    reply = model.complete(msgs, max_tokens=settings.model.max_tokens,
                                           temperature=0.0 if k == 1 else settings.max.temperature,
                                           repeat_penalty=settings.max.repeat_penalty)
                    try:
                        new = ef.apply_reply(rel, text, reply.text, target).text
                    except ef.EditFormatError as exc:
                        letters += "u"
                        failures.append(f"attempt {k} (error): unusable reply: {exc}")
                        continue
                    work = Path(root) / f"try-{k}"
                    shutil.copytree(base, work)
                    (work / rel).write_text(new, encoding="utf-8")
                    results = [check_passes(work, c) for c in ref.get("checks", [])]
                    shutil.rmtree(work)
                    letters += "P" if all(ok for ok, _ in results) else "f"
                    failing = next((out for ok, out in results if not ok), "")
                    failures.append(f"attempt {k} (checks): {failing[-600:]}")
            rows.append({"node": ref["id"], "file": rel, "target": target.name if letters else None,
                         "replies": letters, "passed": letters.count("P")})
            print(f"{ref['id']:22} {rel or '-':28} {letters or '(no single file: agent loop)'}", flush=True)
            for step in ref.get("steps", []):  # the reference solution: the next node starts from it
                apply_step(base, step)
    total = sum(len(r["replies"]) for r in rows)
    print(f"{sum(r['passed'] for r in rows)}/{total} replies passed their node's checks "
          f"({time.time() - t0:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"family": family["name"], "tries": args.tries, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
