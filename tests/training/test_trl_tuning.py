"""Throughput settings for TRL runs, decided without a GPU: values computed by hand from the rules."""

from __future__ import annotations

from typing import Any

import pytest

from app.training import trl_tuning
from app.training.trl_tuning import Hardware, auto_batch_size, mfu, plan
from app.training.trl_worker import Throughput

H200 = Hardware(
    cuda=True, bf16=True, device_name="NVIDIA H200", memory_bytes=141 * 2**30, flash_attention=True
)
CPU = Hardware()
ONE_B = 1_000_000_000


class TestPeaks:
    def test_known_cards(self) -> None:
        assert trl_tuning.peak_flops("NVIDIA H200") == 989e12
        assert trl_tuning.peak_flops("NVIDIA A100-SXM4-80GB") == 312e12
        assert trl_tuning.peak_flops("NVIDIA L40S") == 362e12
        assert trl_tuning.peak_flops("NVIDIA L4") == 121e12

    def test_unknown_card_has_no_peak(self) -> None:
        assert trl_tuning.peak_flops("Some Future Card") is None


class TestMfu:
    def test_sft_is_six_flops_per_parameter_and_token(self) -> None:
        # 1B parameters at 50,000 tokens/s: 6e9 * 5e4 = 3e14 FLOP/s of 989e12.
        assert mfu(50_000, parameters=ONE_B, method="supervised", device_name="H200") == pytest.approx(
            3e14 / 989e12
        )

    def test_dpo_adds_the_reference_forward(self) -> None:
        assert mfu(50_000, parameters=ONE_B, method="dpo", device_name="H200") == pytest.approx(4e14 / 989e12)

    @pytest.mark.parametrize(
        ("rate", "parameters", "device"), [(0, ONE_B, "H200"), (10, 0, "H200"), (10, ONE_B, "?")]
    )
    def test_not_reported_without_the_facts(self, rate: float, parameters: int, device: str) -> None:
        assert mfu(rate, parameters=parameters, method="dpo", device_name=device) is None


class TestPlan:
    def test_cpu_keeps_the_defaults_and_counts_tokens(self) -> None:
        result = plan({"batch_size": 4}, method="supervised", hardware=CPU, parameters=ONE_B)
        assert result.trainer == {"include_num_input_tokens_seen": True}
        assert result.model == {}
        assert result.batch_size == 4

    def test_gpu_gets_bf16_and_flash_attention(self) -> None:
        result = plan({"batch_size": 8}, method="dpo", hardware=H200, parameters=ONE_B)
        assert result.trainer["bf16"] is True
        assert result.model == {"dtype": "bfloat16", "attn_implementation": "flash_attention_2"}
        assert "use_liger_kernel" not in result.trainer

    def test_sdpa_and_liger_follow_what_is_installed(self) -> None:
        card = Hardware(cuda=True, bf16=True, device_name="A100", memory_bytes=80 * 2**30, liger=True)
        result = plan({"batch_size": 8}, method="supervised", hardware=card, parameters=ONE_B)
        assert result.model["attn_implementation"] == "sdpa"
        assert result.trainer["use_liger_kernel"] is True

    def test_packing_is_padding_free_only_with_flash_attention(self) -> None:
        packed = plan(
            {"batch_size": 8, "packing": True}, method="supervised", hardware=H200, parameters=ONE_B
        )
        assert (packed.trainer["packing"], packed.trainer["packing_strategy"], packed.trainer["padding_free"]) == (
            True, "bfd", True,
        )  # fmt: skip
        wrapped = plan(
            {"batch_size": 8, "packing": True}, method="supervised", hardware=CPU, parameters=ONE_B
        )
        assert wrapped.trainer["packing_strategy"] == "wrapped"
        assert "padding_free" not in wrapped.trainer

    def test_dpo_never_packs(self) -> None:
        result = plan({"batch_size": 8, "packing": True}, method="dpo", hardware=H200, parameters=ONE_B)
        assert "packing" not in result.trainer

    def test_gradient_checkpointing_is_a_choice(self) -> None:
        result = plan(
            {"batch_size": 1, "gradient_checkpointing": True}, method="dpo", hardware=CPU, parameters=1
        )
        assert result.trainer["gradient_checkpointing"] is True
        assert result.trainer["gradient_checkpointing_kwargs"] == {"use_reentrant": False}

    def test_auto_batch_on_cpu_is_one(self) -> None:
        assert (
            plan({"batch_size": "auto"}, method="supervised", hardware=CPU, parameters=ONE_B).batch_size == 1
        )


class TestAutoBatch:
    def test_a_power_of_two_that_shrinks_with_length_and_grows_with_checkpointing(self) -> None:
        args: dict[str, Any] = {
            "parameters": ONE_B,
            "memory_bytes": 141 * 2**30,
            "method": "supervised",
            "lora": False,
        }
        short = auto_batch_size(max_length=1024, checkpointing=False, **args)
        long = auto_batch_size(max_length=4096, checkpointing=False, **args)
        saved = auto_batch_size(max_length=4096, checkpointing=True, **args)
        for size in (short, long, saved):
            assert size & (size - 1) == 0
        assert short > long
        assert saved > long
        assert short <= trl_tuning.MAX_AUTO_BATCH

    def test_a_model_that_does_not_fit_gets_one(self) -> None:
        assert auto_batch_size(
            parameters=70 * ONE_B, max_length=2048, memory_bytes=24 * 2**30, method="dpo", lora=False,
            checkpointing=False,
        ) == 1  # fmt: skip

    def test_dpo_fits_fewer_than_sft(self) -> None:
        args: dict[str, Any] = {
            "parameters": ONE_B,
            "max_length": 2048,
            "memory_bytes": 80 * 2**30,
            "lora": False,
            "checkpointing": False,
        }
        assert auto_batch_size(method="dpo", **args) < auto_batch_size(method="supervised", **args)


class TestThroughput:
    def test_tokens_per_second_between_logs_and_mfu_on_a_known_card(self) -> None:
        speed = Throughput(parameters=ONE_B, method="supervised", device_name="NVIDIA H200")
        assert speed.measure(1000, now=10.0) == {}
        values = speed.measure(51_000, now=11.0)
        assert values["tokens_per_second"] == 50_000
        assert values["mfu"] == pytest.approx(3e14 / 989e12)

    def test_no_mfu_on_cpu_and_nothing_without_progress(self) -> None:
        speed = Throughput(parameters=ONE_B, method="dpo", device_name="")
        speed.measure(100, now=1.0)
        assert speed.measure(100, now=2.0) == {}
        assert speed.measure(300, now=3.0) == {"tokens_per_second": 200.0}
