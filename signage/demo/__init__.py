"""The Dijon Métropole demo: its configuration and simulated feeds."""
