"""Pure renderers: a message and a panel profile in, text or bytes out."""
