"""The command line: one parser, and the Qt-free subcommands (plan, probe, lab)."""
