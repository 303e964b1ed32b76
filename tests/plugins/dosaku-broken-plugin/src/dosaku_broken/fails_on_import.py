raise ImportError("dosaku_broken needs a library that is not installed (on purpose)")
