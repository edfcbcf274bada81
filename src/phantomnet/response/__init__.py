"""Active defense: blocking that is safe, expires, and stays enforced.

Blockers (nftables, iptables + ipset, dry-run) are plug-ins; the service records decisions
through a :class:`~phantomnet.response.store.BlockStore` (implemented by storage) and applies
them; the reconciler keeps the firewall equal to the stored desired state.
"""
