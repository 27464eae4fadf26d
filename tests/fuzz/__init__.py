"""The boundary fuzzer of the public API and the CLI (see :mod:`fuzz.harness`)."""
