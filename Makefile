# lightning-gan: `make train` and `make test` do all set-up on a fresh machine.
#   make train [EXP=gan_enhance] [ARGS='--trainer.max_epochs 50 --data.root ../shared/data/grocery-store']
#   make test
#   make compare EXP=dcgan_generate      (table, plot and HTML report of that experiment's runs)
#   make bench [ARGS='--data ../shared/data/grocery-store']   (training images/s and enhance latency; small on CPU)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXP ?= gan_enhance
ARGS ?=
EXPERIMENTS := $(basename $(notdir $(wildcard experiments/*.yaml)))

.PHONY: install train test lint check-exp experiments clean-runs compare bench

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

check-exp:
	@if [ ! -f experiments/$(EXP).yaml ]; then \
		echo "Unknown experiment EXP=$(EXP). Available: $(EXPERIMENTS)" >&2; exit 2; fi

experiments:
	@echo $(EXPERIMENTS)

train: check-exp $(STAMP)
	WANDB_MODE=$${WANDB_MODE:-offline} $(PY) -m lightning_gan fit --config experiments/$(EXP).yaml $(ARGS)

compare: $(STAMP)
	@if [ ! -d runs/$(EXP) ]; then echo "No runs/$(EXP) yet: run make train EXP=$(EXP) first" >&2; exit 2; fi
	$(PY) -m lightning_gan compare runs/$(EXP) $(ARGS)

bench: $(STAMP)
	$(PY) benchmarks/throughput.py $$( $(PY) -c "import torch; print('' if torch.cuda.is_available() else '--quick')" ) $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check lightning_gan tests scripts benchmarks
