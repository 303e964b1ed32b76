"""Core's own plugins, registered through the same hooks as any installed plugin (see ``DEFAULT_PLUGINS``)."""
