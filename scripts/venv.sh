#!/bin/sh
# Create .venv at the repository root with a Python >= 3.12, and install the
# package (editable) with its test and cuda extras. Does nothing once done, until
# setup.cfg changes. Set HB_PYTHON to choose the interpreter.
set -e
cd "$(dirname "$0")/.."
if [ -x .venv/bin/python ] && [ .venv/.installed -nt setup.cfg ]; then
    exit 0
fi
ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }
PY=""
for cand in "$HB_PYTHON" python3.12 python3.13 python3.14 python3 \
        "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
    if [ -n "$cand" ] && ok "$cand"; then PY="$cand"; break; fi
done
if [ -z "$PY" ]; then
    echo "hopfield-brian: no Python >= 3.12 found (tried \$HB_PYTHON, python3.12, python3.13, python3, pyenv); install one or set HB_PYTHON" >&2
    exit 1
fi
rm -rf .venv
"$PY" -m venv .venv
echo "hopfield-brian: installing into .venv/ (a few minutes the first time; log in .venv/install.log)" >&2
# pip and setuptools print walls of notices (an editable install's); shown only if the install fails
if ! { .venv/bin/python -m pip install -q --upgrade pip &&
       .venv/bin/python -m pip install -q -e '.[test,cuda]'; } > .venv/install.log 2>&1; then
    cat .venv/install.log >&2
    echo "hopfield-brian: installing into .venv/ failed (above; also in .venv/install.log)" >&2
    exit 1
fi
touch .venv/.installed
