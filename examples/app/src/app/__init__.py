"""An example application."""
