"""PhantomNet: honeypots, network monitor, ML scoring, blocking and a live dashboard.

Importing this package does no work; composition happens in ``runtime.build`` and
``api.create_app``.
"""

__version__ = "0.1.0"
