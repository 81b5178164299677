"""Import paths of modules that moved when the package was split into folders (commands/, inference/, evaluation/,
training/, app/): `import lightning_gan.evaluate` and `from lightning_gan.photos import read_image` keep working.
Each old name resolves its attributes in the new modules listed, in order, and warns once with the new path."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

MOVED = {
    "cli": ("commands.fit",),
    "main": ("commands",),
    "enhance": ("commands.enhance", "inference.photos"),
    "evaluate": ("commands.evaluate", "evaluation.restoration", "evaluation.scores"),
    "generate": ("commands.generate", "inference.generation"),
    "translate": ("commands.translate", "inference.translation"),
    "export": ("commands.export", "inference.export"),
    "prepare": ("commands.prepare",),
    "compare": ("commands.compare",),
    "score_generator": ("commands.score_generator", "evaluation.generator_scores"),
    "domain": ("evaluation.domain", "commands.train_classifier"),
    "metrics": ("evaluation.metrics",),
    "photos": ("inference.photos",),
    "baselines": ("inference.baselines",),
    "analysis": ("inference.analysis",),
    "autofix": ("inference.autofix",),
    "losses": ("training.losses",),
    "diffaugment": ("training.diffaugment",),
    "perceptual": ("training.perceptual",),
    "run_summary": ("training.run_summary",),
}
PACKAGE = __name__.rpartition(".")[0]


class MovedModule(types.ModuleType):
    """Stands for an old module: each attribute comes from the first new module that has it."""

    def __init__(self, name: str, targets: tuple[str, ...]):
        super().__init__(name, f"moved to {', '.join(targets)}")
        self._targets = tuple(f"{PACKAGE}.{t}" for t in targets)

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        for target in self._targets:
            module = importlib.import_module(target)
            if hasattr(module, attribute):
                return getattr(module, attribute)
        raise AttributeError(f"module {self.__name__!r} (now {', '.join(self._targets)}) has no attribute {attribute!r}")

    def __dir__(self) -> list[str]:
        return sorted({name for t in self._targets for name in dir(importlib.import_module(t))})


class MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path=None, target=None):
        package, _, name = fullname.rpartition(".")
        if package == PACKAGE and name in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec) -> MovedModule:
        name = spec.name.rpartition(".")[2]
        new = " / ".join(f"{PACKAGE}.{t}" for t in MOVED[name])
        warnings.warn(f"{spec.name} moved to {new}", DeprecationWarning, stacklevel=3)
        return MovedModule(spec.name, MOVED[name])

    def exec_module(self, module) -> None:
        pass


def install() -> None:
    if not any(isinstance(finder, MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedFinder())
