"""Command lines whose tables must stay identical across refactors (tests/test_regression.py).

Their trials and spike tables were produced by the code before the engine
refactor (commit bee5a9b) and are kept in tests/data/regression/<case>/;
regenerated, by these command lines, with the counter-based random draws
(commit d487f6d, issue #19; spatiotemporal and sequence, which draw nothing at
their defaults, unchanged).
"""

CASES = {
    "recall_modern": ["run", "recall", "--trials", "3", "--seed", "1"],
    "recall_classical_noise": ["run", "recall", "--model", "classical", "--set", "n_patterns=10",
                               "--set", "deletion=0.1", "--set", "background_rate=5Hz", "--trials", "3",
                               "--seed", "2"],
    "recall_sweep": ["run", "recall", "--set", "n_features=64", "--set", "n_patterns=8",
                     "--sweep", "beta=0.02,0.05", "--trials", "2", "--seed", "3"],
    "capacity_classical": ["run", "capacity", "--model", "classical", "--set", "n_features=100",
                           "--sweep", "n_patterns=10,40", "--trials", "2"],
    "robustness_modern": ["run", "robustness", "--set", "n_features=64", "--set", "n_patterns=8",
                          "--trials", "1"],
    "storage_classical": ["run", "storage", "--set", "n_features=60", "--set", "n_patterns=6",
                          "--sweep", "learning_rate=1,2", "--trials", "1"],
    "attention": ["run", "attention", "--set", "n_features=64", "--set", "n_patterns=16",
                  "--sweep", "beta=0.05,0.1", "--trials", "2"],
    "regimes": ["run", "regimes", "--sweep", "beta=0.05,0.3", "--trials", "2"],
    "spatiotemporal": ["run", "spatiotemporal", "--sweep", "n_patterns=10,30", "--set", "compare_rate=false",
                       "--trials", "3"],
    "sequence": ["run", "sequence", "--sweep", "n_sequences=3", "--trials", "2"],
}
# the quick subset (one build each, a few seconds warm); the others are marked slow
QUICK = ("recall_modern", "recall_classical_noise", "spatiotemporal")
