# lightning-gan: `make train` and `make test` do all set-up on a fresh machine.
#   make train [EXP=gan_enhance] [ARGS='--trainer.max_epochs 50 --data.root ../shared/data/grocery-store']
#   make test
#   make compare EXP=dcgan_generate      (table, plot and HTML report of that experiment's runs)
#   make bench [ARGS='--data ../shared/data/grocery-store']   (training images/s and enhance latency; small on CPU)
#   make app                             (the web app on http://127.0.0.1:7860)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXP ?= gan_enhance
ARGS ?=
EXPERIMENTS := $(basename $(notdir $(wildcard experiments/*.yaml)))

.PHONY: install train test lint check-exp experiments clean-runs compare bench app app-screenshot browser

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,all]'
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

# The web app's end-to-end test drives Debian's Chromium through chromedriver (no browser downloads).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "installing Debian's chromium and chromium-driver for the browser test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null \
		|| { $$SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null; }; \
	fi

test: $(STAMP) browser
	$(PY) -m pytest -q --durations=12 $(ARGS)

app: $(STAMP)
	$(PY) -m lightning_gan app $(ARGS)

app-screenshot: $(STAMP) browser
	LIGHTNING_GAN_SCREENSHOT=docs/images/app.png $(PY) -m pytest -q tests/app/test_ui.py -k browser

lint: $(STAMP)
	$(PY) -m ruff check lightning_gan tests scripts benchmarks
