"""FTP honeypot: a vsftpd persona over the shared fake filesystem."""
