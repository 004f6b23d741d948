"""Throughput settings for TRL runs on real hardware, decided from facts the worker measures (pure, no torch).

The worker asks `plan(...)` what to pass to the trainer and the model loader: bf16 on GPUs that have it, flash
attention when the kernels are installed (else PyTorch SDPA), padding-free packed SFT batches where that is
exact (flash attention), Liger kernels when installed, gradient checkpointing as a choice, and a per-device batch
sized from the model, the sequence length and the GPU's memory when the batch size is "auto". `mfu(...)` turns
tokens/s into model FLOPs utilisation against the card's bf16 dense peak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# bf16 dense tensor-core peaks (FLOP/s), by a substring of torch.cuda.get_device_name(); first match wins.
PEAK_BF16_FLOPS: tuple[tuple[str, float], ...] = (
    ("H200", 989e12),
    ("H100", 989e12),
    ("GH200", 989e12),
    ("B200", 2250e12),
    ("A100", 312e12),
    ("A10", 125e12),
    ("L40S", 362e12),
    ("L40", 181e12),
    ("L4", 121e12),
    ("RTX 4090", 165e12),
    ("RTX 3090", 71e12),
)
AUTO = "auto"
MAX_AUTO_BATCH = 64


@dataclass(frozen=True, slots=True)
class Hardware:
    """What the worker found: CUDA or not, bf16 support, the card's name and memory, optional kernels."""

    cuda: bool = False
    bf16: bool = False
    device_name: str = ""
    memory_bytes: int = 0
    flash_attention: bool = False
    liger: bool = False


@dataclass(slots=True)
class Plan:
    trainer: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    batch_size: int = 1
    notes: list[str] = field(default_factory=list)


def peak_flops(device_name: str) -> float | None:
    """The card's bf16 dense peak, or None for a card we do not know (MFU is then not reported)."""
    for needle, flops in PEAK_BF16_FLOPS:
        if needle.lower() in device_name.lower():
            return flops
    return None


def flops_per_token(parameters: int, *, method: str) -> float:
    """Training FLOPs per token: 6N for forward + backward; DPO adds the frozen reference's forward (2N)."""
    return (8.0 if method == "dpo" else 6.0) * parameters


def mfu(tokens_per_second: float, *, parameters: int, method: str, device_name: str) -> float | None:
    peak = peak_flops(device_name)
    if peak is None or tokens_per_second <= 0 or parameters <= 0:
        return None
    return tokens_per_second * flops_per_token(parameters, method=method) / peak


def auto_batch_size(
    *, parameters: int, max_length: int, memory_bytes: int, method: str, lora: bool, checkpointing: bool
) -> int:
    """A per-device batch that fits: memory left after weights and optimizer state, divided by the activations of
    one sequence (a rough, conservative model: 34 bytes per hidden element per layer is not known here, so the
    activation cost is estimated per parameter and token); at least 1, a power of two, at most MAX_AUTO_BATCH."""
    if memory_bytes <= 0:
        return 1
    # bf16 weights (2 B) + fp32 master/Adam states (12 B) + grads (2 B) per trained parameter; LoRA trains ~1%.
    state = parameters * (2 + (0.16 if lora else 14))
    if method == "dpo" and not lora:
        state += parameters * 2  # the reference model's weights
    free = memory_bytes * 0.85 - state
    if free <= 0:
        return 1
    # Activations per token grow with model width; sqrt(N) tracks width across the Llama/Qwen families.
    per_token = (parameters**0.5) * (24 if not checkpointing else 4)
    sequences = 2 if method == "dpo" else 1  # chosen and rejected
    per_example = per_token * max_length * sequences
    size = int(free // per_example) if per_example > 0 else 1
    power = 1
    while power * 2 <= min(size, MAX_AUTO_BATCH):
        power *= 2
    return max(1, power)


def plan(hp: dict[str, Any], *, method: str, hardware: Hardware, parameters: int) -> Plan:
    """Trainer and model-loading arguments for this run on this hardware."""
    out = Plan()
    checkpointing = bool(hp.get("gradient_checkpointing"))
    if checkpointing:
        out.trainer["gradient_checkpointing"] = True
        out.trainer["gradient_checkpointing_kwargs"] = {"use_reentrant": False}
    out.trainer["include_num_input_tokens_seen"] = True
    if hardware.cuda:
        out.trainer["bf16"] = hardware.bf16
        if hardware.bf16:
            out.model["dtype"] = "bfloat16"
        out.model["attn_implementation"] = "flash_attention_2" if hardware.flash_attention else "sdpa"
        if hardware.liger:
            out.trainer["use_liger_kernel"] = True
            out.notes.append("Liger kernels on")
        out.notes.append(f"attention: {out.model['attn_implementation']}")
    if method != "dpo" and hp.get("packing"):
        out.trainer["packing"] = True
        # Best-fit-decreasing packing is padding-free: exact only with attention that honours position ids.
        if hardware.cuda and hardware.flash_attention:
            out.trainer["packing_strategy"] = "bfd"
            out.trainer["padding_free"] = True
            out.notes.append("packed, padding-free batches")
        else:
            out.trainer["packing_strategy"] = "wrapped"
            out.notes.append("packed batches (no flash attention: sequences wrapped, not padding-free)")
    size = hp.get("batch_size", 1)
    if size == AUTO:
        size = 1
        if hardware.cuda:
            size = auto_batch_size(
                parameters=parameters,
                max_length=int(hp.get("max_length", 1024)),
                memory_bytes=hardware.memory_bytes,
                method=method,
                lora=bool(hp.get("lora")),
                checkpointing=checkpointing,
            )
        out.notes.append(f"batch size {size} per device (auto)")
    out.batch_size = int(size)
    return out
