"""An example Dosaku plugin distribution: one task, one module, one command."""
