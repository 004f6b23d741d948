"""Dataset releases: frozen SFT/DPO exports with a manifest and a lint report."""
