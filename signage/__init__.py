"""Real-time signage and citizen-notification engine."""

__version__ = "0.1.0"
