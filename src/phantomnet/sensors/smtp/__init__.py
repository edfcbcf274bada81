"""SMTP honeypot: a Postfix persona on aiosmtpd that accepts, stores and never delivers mail."""
