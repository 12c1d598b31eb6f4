"""A small shop's own models, as they were before it served guest orders."""
