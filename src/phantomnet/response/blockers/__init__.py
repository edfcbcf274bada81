"""Firewall backends: nftables, iptables + ipset, and dry-run."""
