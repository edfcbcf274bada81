"""SSH honeypot (asyncssh behind a raw front protocol; persona-driven)."""
