"""MySQL/MariaDB door."""
