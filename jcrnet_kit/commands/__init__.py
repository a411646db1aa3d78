"""The ``jcrnet`` subcommands, one module each: arguments and printing only; the work is done by the libraries in
``jcrnet_kit.parity``, ``images``, ``train``, ``mutants``, ``docs``, ``perf`` and the ``convert`` package. A command
never imports another command. Each module has ``add_parser(subparsers)``, which registers it and sets ``func``
(Namespace -> exit code)."""

#: Command modules in the order ``jcrnet --help`` lists them (``convert`` keeps its own CLI in ``convert.cli``).
COMMAND_MODULES = (
    "jcrnet_kit.commands.verify",
    "convert.cli",
    "jcrnet_kit.commands.compare",
    "jcrnet_kit.commands.where",
    "jcrnet_kit.commands.mutants",
    "jcrnet_kit.commands.train",
    "jcrnet_kit.commands.eval",
    "jcrnet_kit.commands.enhance",
    "jcrnet_kit.commands.bench",
    "jcrnet_kit.commands.api_map",
    "jcrnet_kit.commands.map",
)
