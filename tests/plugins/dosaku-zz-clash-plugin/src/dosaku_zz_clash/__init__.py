"""A plugin clashing with dosaku-example-plugin on one module name (on purpose); its other registrations are fine."""
