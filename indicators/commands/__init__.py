"""Sub-commands of the ``indicators`` command line, one module each."""
