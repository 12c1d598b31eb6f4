"""Integrations with web frameworks, each an optional extra imported only where used."""
