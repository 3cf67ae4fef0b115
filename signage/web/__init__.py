"""The HTTP side: one aiohttp application built by ``create_app``."""
