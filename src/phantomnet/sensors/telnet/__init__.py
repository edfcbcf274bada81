"""The Telnet door: Debian 12's inetutils telnetd and login(1) on the wire, the SSH shell after."""
