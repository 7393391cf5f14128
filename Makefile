# The two commands of the README. Both create .venv/ first if needed.
.PHONY: recall test venv

recall: venv
	.venv/bin/hopfield-brian run recall

test: venv
	.venv/bin/python -m pytest -m "slow or not slow"

venv:
	@sh scripts/venv.sh
