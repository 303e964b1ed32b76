pytest_plugins = ["dosaku.testing.fixtures"]
