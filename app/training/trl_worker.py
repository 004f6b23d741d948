"""The training process: `python -m app.training.trl_worker CONFIG.json`.

Reads the config written by the TRL backend, trains with TRL's SFTTrainer or DPOTrainer (optionally a LoRA
adapter through peft), and reports on stdout as JSON lines: {"type": "start" | "log" | "status" | "done" |
"error"}. Everything libraries print goes to stderr (the run's train.log). SIGTERM stops training after
the current step; the process then exits with code 3 without saving. Nothing here touches the database.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
import math
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from app.training import trl_tuning

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_CANCELLED = 0, 1, 2, 3

Emit = Callable[..., None]


class ConfigError(Exception):
    """The config or the data cannot be trained as they are; the message says why."""


class Cancelled(Exception):
    pass


class _Stop:
    requested = False


def _on_term(_signum: int, _frame: Any) -> None:
    _Stop.requested = True


def _die_with_parent() -> None:
    """Linux: get SIGTERM when the supervising worker dies, so no orphan keeps a GPU busy."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _emitter(stream: TextIO) -> Emit:
    def emit(kind: str, **fields: Any) -> None:
        stream.write(json.dumps({"type": kind, **fields}, default=str, allow_nan=False) + "\n")
        stream.flush()

    return emit


def _load_rows(path: str, *, method: str, cache_dir: str) -> Any:
    from datasets import load_dataset

    kind = "parquet" if path.endswith(".parquet") else "json"
    dataset = load_dataset(kind, data_files=path, split="train", cache_dir=cache_dir)
    columns = set(dataset.column_names)
    if method == "dpo":
        if {"input", "preferred_output", "non_preferred_output"} <= columns:
            # The OpenAI preference format: the same conversation as TRL's explicit-prompt shape.
            dataset = dataset.map(
                lambda row: {
                    "prompt": row["input"]["messages"],
                    "chosen": row["preferred_output"],
                    "rejected": row["non_preferred_output"],
                },
                remove_columns=sorted(columns),
            )
        elif not {"prompt", "chosen", "rejected"} <= columns:
            raise ConfigError(
                f"{Path(path).name}: DPO needs prompt/chosen/rejected rows, found {sorted(columns)}"
            )
    elif "messages" not in columns and not {"prompt", "completion"} <= columns:
        raise ConfigError(
            f"{Path(path).name}: SFT needs messages or prompt/completion rows, found {sorted(columns)}"
        )
    if len(dataset) == 0:
        raise ConfigError(f"{Path(path).name} has no rows")
    return dataset


def _numbers(logs: dict[str, Any]) -> dict[str, float]:
    out = {}
    for key, value in logs.items():
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(float(value)):
            out[str(key)] = float(value)
    return out


REQUIRED_KEYS = ("method", "base_model", "train_file", "output_dir", "work_dir", "hyperparameters")
REQUIRED_HYPERPARAMETERS = (
    "n_epochs", "batch_size", "learning_rate", "max_steps", "gradient_accumulation_steps", "logging_steps",
    "max_length",
)  # fmt: skip


def check_config(config: Any) -> dict[str, Any]:
    """Refuse a config the trainer cannot use, naming the field, before anything heavy is imported."""
    if not isinstance(config, dict):
        raise ConfigError(f"the config must be a JSON object, got {type(config).__name__}")
    missing = [key for key in REQUIRED_KEYS if config.get(key) in (None, "")]
    if missing:
        raise ConfigError(f"the config lacks {', '.join(missing)}")
    if config["method"] not in ("supervised", "dpo"):
        raise ConfigError(f"method: expected 'supervised' or 'dpo', got {config['method']!r}")
    hp = config["hyperparameters"]
    if not isinstance(hp, dict):
        raise ConfigError("hyperparameters: expected an object")
    absent = [key for key in REQUIRED_HYPERPARAMETERS if key not in hp]
    if absent:
        raise ConfigError(f"hyperparameters lack {', '.join(absent)}")
    if config["method"] == "dpo" and "beta" not in hp:
        raise ConfigError("hyperparameters lack beta (needed for DPO)")
    lora_absent = [
        key for key in ("lora_r", "lora_alpha", "lora_dropout") if hp.get("lora") and key not in hp
    ]
    if lora_absent:
        raise ConfigError(f"hyperparameters lack {', '.join(lora_absent)} (needed for LoRA)")
    for key in ("train_file", "validation_file"):
        path = config.get(key)
        if path and not Path(path).is_file():
            raise ConfigError(f"{key}: {path} does not exist")
    return config


class Throughput:
    """Tokens/s between two log points and, on a known GPU, model FLOPs utilisation."""

    def __init__(self, *, parameters: int, method: str, device_name: str) -> None:
        self.parameters, self.method, self.device_name = parameters, method, device_name
        self.last: tuple[float, int] | None = None

    def measure(self, tokens_seen: int, now: float | None = None) -> dict[str, float]:
        now = time.monotonic() if now is None else now
        previous, self.last = self.last, (now, tokens_seen)
        if previous is None or now <= previous[0] or tokens_seen <= previous[1]:
            return {}
        rate = (tokens_seen - previous[1]) / (now - previous[0])
        out = {"tokens_per_second": rate}
        utilisation = trl_tuning.mfu(
            rate, parameters=self.parameters, method=self.method, device_name=self.device_name
        )
        if utilisation is not None:
            out["mfu"] = utilisation
        return out


def _hardware(torch: Any) -> trl_tuning.Hardware:
    if not torch.cuda.is_available():
        return trl_tuning.Hardware()
    properties = torch.cuda.get_device_properties(0)
    return trl_tuning.Hardware(
        cuda=True,
        bf16=bool(torch.cuda.is_bf16_supported()),
        device_name=str(properties.name),
        memory_bytes=int(properties.total_memory),
        flash_attention=importlib.util.find_spec("flash_attn") is not None,
        liger=importlib.util.find_spec("liger_kernel") is not None,
    )


def _count_parameters(base: str) -> int:
    """Parameters from the model's config without loading weights (sizes the auto batch before loading)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    try:
        config = AutoConfig.from_pretrained(base, local_files_only=True)
    except (OSError, ValueError):
        return 0
    try:
        from accelerate import init_empty_weights

        with init_empty_weights():
            skeleton = AutoModelForCausalLM.from_config(config)
        return int(sum(p.numel() for p in skeleton.parameters()))
    except (ImportError, ValueError, RuntimeError):
        return 0


def train(config: dict[str, Any], emit: Emit) -> str:
    """Train as configured; returns the folder the model was saved to."""
    check_config(config)
    hp = config["hyperparameters"]
    method = config["method"]
    work = config["work_dir"]
    cache = os.path.join(work, "datasets-cache")
    # The data is read before torch is imported, so a bad file fails in a second, not after model loading.
    train_rows = _load_rows(config["train_file"], method=method, cache_dir=cache)
    eval_rows = (
        _load_rows(config["validation_file"], method=method, cache_dir=cache)
        if config.get("validation_file")
        else None
    )

    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback

    seed = int(config.get("seed", 42))
    transformers.set_seed(seed)
    base = config["base_model"]
    emit("status", message=f"loading {base} (offline)")
    try:
        tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
        hardware = _hardware(torch)
        parameters = _count_parameters(base)
        tuning = trl_tuning.plan(hp, method=method, hardware=hardware, parameters=parameters)
        model_kwargs = dict(tuning.model)
        if model_kwargs.get("dtype") == "bfloat16":
            model_kwargs["dtype"] = torch.bfloat16
        model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, **model_kwargs)
    except OSError as exc:
        raise ConfigError(
            f"base model {base!r} is neither a model folder nor a model in the local Hugging Face cache "
            f"(downloads are off): {exc}"
        ) from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    emit(
        "status",
        message=f"{len(train_rows)} training rows"
        + (f", {len(eval_rows)} validation rows" if eval_rows else ""),
    )
    if _Stop.requested:
        raise Cancelled()

    cuda = hardware.cuda
    parameters = sum(p.numel() for p in model.parameters()) or parameters
    if tuning.notes:
        emit("status", message="; ".join(tuning.notes))
    common: dict[str, Any] = {
        "output_dir": os.path.join(work, "checkpoints"),
        "num_train_epochs": hp["n_epochs"],
        "per_device_train_batch_size": tuning.batch_size,
        "per_device_eval_batch_size": tuning.batch_size,
        "learning_rate": hp["learning_rate"],
        "max_steps": hp["max_steps"],
        "gradient_accumulation_steps": hp["gradient_accumulation_steps"],
        "logging_steps": hp["logging_steps"],
        "logging_first_step": True,
        "max_length": hp["max_length"],
        "seed": seed,
        "report_to": [],
        "disable_tqdm": True,
        "save_strategy": "no",
        "eval_strategy": "epoch" if eval_rows is not None else "no",
        "use_cpu": not cuda,
        "bf16": bool(cuda and hardware.bf16),
        "fp16": False,
        **tuning.trainer,
    }
    if hp.get("warmup_ratio"):
        # transformers 5 folded warmup_ratio into warmup_steps (a float below 1 is a ratio).
        from transformers import TrainingArguments

        names = {f.name for f in dataclasses.fields(TrainingArguments)}
        common["warmup_ratio" if "warmup_ratio" in names else "warmup_steps"] = hp["warmup_ratio"]
    peft_config = None
    if hp.get("lora"):
        from peft import LoraConfig

        peft_config = LoraConfig(
            r=hp["lora_r"], lora_alpha=hp["lora_alpha"], lora_dropout=hp["lora_dropout"],
            target_modules="all-linear", task_type="CAUSAL_LM",
        )  # fmt: skip

    speed = Throughput(parameters=parameters, method=method, device_name=hardware.device_name)

    class Report(TrainerCallback):
        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            emit("start", total_steps=state.max_steps)

        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
        ) -> None:
            values = _numbers(logs or {})
            values.update(speed.measure(int(getattr(state, "num_input_tokens_seen", 0) or 0)))
            emit("log", step=state.global_step, total_steps=state.max_steps, logs=values)

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if _Stop.requested:
                control.should_training_stop = True

    if method == "dpo":
        from trl import DPOConfig, DPOTrainer

        args: Any = DPOConfig(**common, beta=hp["beta"])
        trainer: Any = DPOTrainer(
            model=model,
            # An in-memory reference: ref_model=None would make TRL reload the model by name.
            ref_model=None if peft_config is not None else copy.deepcopy(model),
            args=args, train_dataset=train_rows, eval_dataset=eval_rows, processing_class=tokenizer,
            callbacks=[Report()], peft_config=peft_config,
        )  # fmt: skip
    else:
        from trl import SFTConfig, SFTTrainer

        args = SFTConfig(**common)
        trainer = SFTTrainer(
            model=model, args=args, train_dataset=train_rows, eval_dataset=eval_rows, processing_class=tokenizer,
            callbacks=[Report()], peft_config=peft_config,
        )  # fmt: skip
    trainer.train()
    if _Stop.requested:
        raise Cancelled()
    output = config["output_dir"]
    emit("status", message="saving the model")
    trainer.save_model(output)
    tokenizer.save_pretrained(output)
    Path(output, "trainer_config.json").write_text(args.to_json_string(), encoding="utf-8")
    return str(output)


def _read_config(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the config {path}: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the config {path} is not valid JSON: {exc}") from exc


def main(argv: list[str]) -> int:
    # Our report channel is the original stdout; whatever libraries print goes to stderr (train.log).
    events = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    emit = _emitter(events)
    signal.signal(signal.SIGTERM, _on_term)
    _die_with_parent()
    if len(argv) != 2:
        emit("error", message="usage: python -m app.training.trl_worker CONFIG.json")
        return EXIT_CONFIG
    try:
        config = _read_config(Path(argv[1]))
        output = train(config, emit)
    except Cancelled:
        emit("status", message="stopped by a cancel; nothing saved")
        return EXIT_CANCELLED
    except ConfigError as exc:
        emit("error", message=str(exc))
        return EXIT_CONFIG
    except Exception as exc:
        traceback.print_exc()
        emit("error", message=f"{type(exc).__name__}: {exc}"[:2000])
        return EXIT_FAILED
    emit("done", model_dir=output)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv))
