"""MkDocs hook: the documentation's parameter tables and protocol descriptions, from the code.

``<!-- parameters PROTOCOL -->`` in a page becomes the table of that protocol's
parameters, ``<!-- parameters model NAME -->`` that of a model's and
``<!-- parameters class MODULE.CLASS -->`` that of any parameter dataclass (name,
default with its unit, meaning and valid values: what ``--help`` prints),
made from the parameters' single declaration; ``<!-- docstring MODULE -->``
becomes the module's docstring (hopfield_brian.protocols lives outside the
package folder, where mkdocstrings does not look).
"""

import importlib
import re

MARKER = re.compile(r"<!-- parameters (model |class )?([\w.]+) -->")
DOCSTRING = re.compile(r"<!-- docstring ([\w.]+) -->")


def _table(instance) -> str:
    from hopfield_brian.config import parameter_rows

    rows = ["| parameter | default | meaning [valid values] |", "|---|---|---|"]
    rows += [f"| `{name}` | `{shown}` | {doc.replace('|', '/')} |" for name, shown, doc in parameter_rows(instance)]
    return "\n".join(rows)


def _parameters(match) -> str:
    import hopfield_brian as hb

    if match.group(1) == "class ":
        module, _, name = match.group(2).rpartition(".")
        return _table(getattr(importlib.import_module(module), name)())
    if match.group(1):
        return _table({"modern": hb.ModernParams, "classical": hb.ClassicalParams, "delay": hb.DelayParams}
                      [match.group(2)]())
    return _table(getattr(hb, match.group(2).capitalize()).config_class())


def _docstring(match) -> str:
    text = importlib.import_module(match.group(1)).__doc__ or ""
    text = re.sub(r":\w+:`([^`]+)`", r"`\1`", text)  # Sphinx roles (:mod:`x`) to code
    return re.sub(r"``([^`]+)``", r"`\1`", text)  # reStructuredText literals to Markdown


def on_page_markdown(markdown, **kwargs):
    return DOCSTRING.sub(_docstring, MARKER.sub(_parameters, markdown))
