"""Fine-tuning runs launched from a dataset release: an OpenAI-compatible API or TRL on a worker."""
