"""Deploy targets: where versions are installed and run (``local``, ``command``)."""
