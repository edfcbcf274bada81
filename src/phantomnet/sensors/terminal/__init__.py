"""What the interactive doors (SSH, Telnet) share after login: the line editor, the asciicast
recorder and :class:`~phantomnet.sensors.terminal.runner.ShellRunner`, which runs the fake
shell over a byte stream and reports every line."""
