"""Every command, subcommand and argument of ``dil`` says what it is in its help."""

import argparse
import subprocess
import sys

from dil.cli import build_parser


def _walk(parser: argparse.ArgumentParser, path: str):
    """(where, action) for every action under ``parser``, subcommands included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", ("subcommand", helps.get(name))
                yield from _walk(sub, f"{path} {name}")
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield path, (action.option_strings[-1] if action.option_strings else action.dest, action.help)


def test_every_argument_and_subcommand_has_help():
    entries = list(_walk(build_parser(), "dil"))
    assert len(entries) > 200  # the whole tree was walked
    missing = [f"{where}: {what}" for where, (what, help_) in entries if not (help_ and help_.strip())]
    assert not missing, "no help:\n" + "\n".join(missing)


def test_choices_are_explained_in_their_help():
    """An option with a few named choices says what each one is (its help names every choice)."""
    unexplained = []
    for where, action in _actions(build_parser(), "dil"):
        choices = action.choices
        if not choices or not isinstance(choices, (list, tuple)) or len(choices) > 8:
            continue
        text = action.help or ""
        named = [str(c) for c in choices if str(c) not in text]
        if named and not all(isinstance(c, (int, float)) for c in choices):
            unexplained.append(f"{where} {action.option_strings or action.dest}: {named}")
    assert not unexplained, "choices not explained:\n" + "\n".join(unexplained)


def _actions(parser: argparse.ArgumentParser, path: str):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _actions(sub, f"{path} {name}")
        else:
            yield path, action


def test_run_offers_only_the_stacks_a_batch_run_has():
    run = subprocess.run([sys.executable, "-m", "dil", "run", "--help"], capture_output=True, text=True)
    assert "{builtin,aeb,none,ai}" in run.stdout
    assert "dil drive SCENARIO" in run.stdout and "dil replay LOG --resim" in run.stdout


def test_the_bus_option_offers_local_only_where_it_is_a_choice():
    def bus_help(*command: str) -> str:
        parser = build_parser()
        for where, action in _actions(parser, "dil"):
            if where == " ".join(("dil", *command)) and "--bus" in action.option_strings:
                return f"{action.choices} {action.help}"
        raise AssertionError(f"no --bus in {command}")

    assert "local" not in bus_help("rig", "serve") and "local" not in bus_help("script-driver")
    assert "'local'" in bus_help("drive") and "or local (in-process" in bus_help("drive")


def test_bare_dil_prints_the_help_and_exits_0():
    bare = subprocess.run([sys.executable, "-m", "dil"], capture_output=True, text=True, timeout=120)
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout.startswith("usage: dil") and "run" in bare.stdout and "campaign" in bare.stdout
    assert bare.stderr == ""
