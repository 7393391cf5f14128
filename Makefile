# The two commands of the README. Both create .venv/ first if needed.
.PHONY: recall test tradeoff venv

recall: venv
	.venv/bin/hopfield-brian run recall

# one pytest worker per core (pytest-xdist); work stealing keeps the long CUDA build from ending alone
CORES := $(shell nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
test: venv
	.venv/bin/python -m pytest -m "slow or not slow" -n $(CORES) --dist worksteal

# The stability-plasticity-energy trade-off (README): both models at N = 100, M = 10, every age cued;
# classical learning rates at weight bounds 8 and 32 x 2/N and unbounded, modern forgetting rates.
TRADEOFF = --quiet --set n_features=100 --set n_patterns=10 --set trials=10 --sweep cued_pattern=0,1,2,3,4,5,6,7,8,9
tradeoff: venv
	.venv/bin/hopfield-brian run storage $(TRADEOFF) --out results/tradeoff/runs/classical \
		--sweep learning_rate=0.25,0.5,1,2,4,8,16
	.venv/bin/hopfield-brian run storage $(TRADEOFF) --set weight_bound=32 --out results/tradeoff/runs/classical-bound32 \
		--sweep learning_rate=0.25,0.5,1,2,4,8,16
	.venv/bin/hopfield-brian run storage $(TRADEOFF) --set weight_bound=0 --out results/tradeoff/runs/classical-unbounded \
		--sweep learning_rate=0.25,0.5,1,2,4,8,16
	.venv/bin/hopfield-brian run storage --model modern $(TRADEOFF) --set beta=0.2 --out results/tradeoff/runs/modern \
		--sweep forget_rate=0Hz,0.125Hz,0.25Hz,0.5Hz,1Hz,2Hz,4Hz
	.venv/bin/python -c 'from hopfield_brian.protocols.storage import save_tradeoff; save_tradeoff()'

venv:
	@sh scripts/venv.sh
