"""One module per CLI command; see :mod:`topotheory.cli`."""
