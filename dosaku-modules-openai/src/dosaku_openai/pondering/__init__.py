"""The parts of Ponder (:mod:`dosaku_openai.ponder`): the plan, the plugin layout, prompts, checks read and run
isolated, the writer and the report."""
