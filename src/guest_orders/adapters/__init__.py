"""Adapters: implementations of the ports. Each optional one imports its own extra."""
