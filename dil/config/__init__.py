"""Typed configuration files: safe YAML loading, strict dataclasses and documented value ranges."""
