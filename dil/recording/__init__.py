"""Recording runs as MCAP files, and reading them back."""
