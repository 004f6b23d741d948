"""Child process: generate answers with a local transformers model. Config as JSON on stdin; one JSON line
per answer on stdout ({"kind": "answer", "id", "text", "finish_reason"}), or {"kind": "error", "message"}.

Runs with `python -m app.evaluation.local_worker`; nothing is downloaded (local folders only)."""

from __future__ import annotations

import json
import sys
from typing import Any


def _emit(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def _device(torch: Any, wanted: str) -> str:
    if wanted == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device cuda was asked for, but this worker has no CUDA GPU")
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return wanted


def generate(config: dict[str, Any]) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = _device(torch, str(config.get("device", "auto")))
    # Typed loosely: the Auto* factories return a different class per model folder.
    tokenizer: Any = AutoTokenizer.from_pretrained(config["model"], local_files_only=True)
    model: Any = AutoModelForCausalLM.from_pretrained(config["model"], local_files_only=True)
    model = model.to(device)
    model.eval()
    temperature = float(config.get("temperature") or 0.0)
    max_tokens = int(config.get("max_tokens") or 512)
    if config.get("seed") is not None:
        torch.manual_seed(int(config["seed"]))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    for prompt in config["prompts"]:
        ids: Any = tokenizer.apply_chat_template(
            prompt["messages"], add_generation_prompt=True, return_tensors="pt"
        )
        if not isinstance(ids, torch.Tensor):  # newer tokenizers return a BatchEncoding
            ids = ids["input_ids"]
        ids = ids.to(device)
        sampling: dict[str, Any] = (
            {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        )
        with torch.no_grad():
            output = model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=max_tokens,
                pad_token_id=pad,
                **sampling,
            )
        new = output[0][ids.shape[1] :]
        finish = (
            "stop"
            if tokenizer.eos_token_id is not None and tokenizer.eos_token_id in new.tolist()
            else "length"
        )
        text = tokenizer.decode(new, skip_special_tokens=True)
        _emit(kind="answer", id=prompt["id"], text=text, finish_reason=finish)


def main() -> int:
    try:
        generate(json.loads(sys.stdin.read()))
    except Exception as exc:  # reported to the parent in words; the parent fails the job with it
        _emit(kind="error", message=f"{type(exc).__name__}: {exc}"[:2000])
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
