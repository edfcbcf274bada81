"""Event transport: the :class:`EventBus` protocol and its implementations."""
