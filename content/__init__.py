"""Content the engine ships: message templates and the pages people open."""
