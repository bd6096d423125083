"""Entrypoints translate input into commands, nothing more."""
