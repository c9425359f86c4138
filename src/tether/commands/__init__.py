"""The commands beyond validate and site-*: one module each, registered in tether.cli.COMMANDS."""
