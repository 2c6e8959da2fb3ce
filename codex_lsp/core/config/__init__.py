"""Configuration: `config.toml` layers, model providers, the effective settings of a thread."""
