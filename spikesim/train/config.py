"""Run configurations: a schema of typed fields, strict validation, presets and overrides.

A config is a YAML or TOML file (or a preset name) with the sections ``data``, ``model``,
``train`` and an optional ``bundled`` section: overrides applied when no ``--data-dir`` is
given and the run uses the bundled synthetic data (sized for a few minutes on a laptop CPU).
Unknown keys and invalid values raise ``ConfigError`` listing the valid options.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

import tomllib

from spikesim.errors import ConfigError
from spikesim.torch.surrogate import SURROGATES as SURROGATE_KINDS

PRESETS = ("shd-delays", "shd-nodelay", "nmnist-delays")
DATASETS = {"shd": "shd-synth", "nmnist": "nmnist-synth"}


@dataclass
class DataConfig:
    """Input pipeline. ``dt_ms``: bin width (ms); ``n_steps``: every sample is zero-padded or
    cut to this many bins. ``pool``: sum groups of channels (SHD 700 -> 140 with 5).
    N-MNIST options: ``crop`` [W, H], ``downsample``, ``merge_polarity``, ``first_saccade_only``.
    ``val_fraction``: share of the training split held out for validation (model selection).
    ``train_limit``/``test_limit``: use only the first N samples (0: all)."""

    dataset: str = "shd"
    dt_ms: float = 10.0
    n_steps: int = 100
    pool: int = 1
    crop: list[int] | None = None
    downsample: int = 1
    merge_polarity: bool = False
    first_saccade_only: bool = False
    val_fraction: float = 0.1
    train_limit: int = 0
    test_limit: int = 0


@dataclass
class ModelConfig:
    """Network. ``hidden``: LIF layer sizes. ``taps``: delay taps K (delays 0..K-1 steps; 1 = no
    delays). ``latency_offset``: minimum latency added to every synapse (1 for Loihi/Lava).
    ``tau_ms``: LIF membrane time constant, ``beta = 1 - dt/tau`` (SpikingJelly, decay_input off).
    ``surrogate``: ``atan`` or ``superspike`` with sharpness ``surrogate_alpha`` (0: default)."""

    hidden: list[int] = field(default_factory=lambda: [256, 256])
    taps: int = 25
    learn_delays: bool = True
    latency_offset: int = 0
    tau_ms: float = 10.05
    readout_tau_ms: float = 10.05
    v_th: float = 1.0
    reset: str = "zero"
    surrogate: str = "atan"
    surrogate_alpha: float = 0.0
    batchnorm: bool = True
    dropout: float = 0.4


@dataclass
class TrainConfig:
    """Optimisation. Weights: Adam (``lr``) with a OneCycle schedule peaking at ``max_lr``,
    stepped per batch; ``weight_decay`` on projection weights only. Delay positions: their own
    Adam at ``position_lr`` with cosine annealing per epoch. ``threads``: torch CPU threads
    (0: torch's default). ``drop_last``: drop the last incomplete training batch."""

    epochs: int = 150
    batch_size: int = 256
    lr: float = 1e-3
    max_lr: float = 5e-3
    weight_decay: float = 1e-5
    position_lr: float = 0.1
    seed: int = 0
    threads: int = 0
    drop_last: bool = False


@dataclass
class RunConfig:
    """A whole run: ``name`` plus the three sections."""

    name: str = "run"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-ready dict."""
        return asdict(self)


SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}

#: Per-field checks: (predicate, description of the valid values).
CHECKS: dict[tuple[str, str], tuple[Any, str]] = {
    ("data", "dataset"): (lambda v: v in DATASETS, f"one of {sorted(DATASETS)}"),
    ("data", "dt_ms"): (lambda v: v > 0, "a time step > 0 ms"),
    ("data", "n_steps"): (lambda v: v >= 1, "an integer >= 1 (steps)"),
    ("data", "pool"): (lambda v: v >= 1, "an integer >= 1"),
    ("data", "crop"): (lambda v: v is None or (len(v) == 2 and min(v) >= 1), "null or [W, H] with W, H >= 1"),
    ("data", "downsample"): (lambda v: v >= 1, "an integer >= 1"),
    ("data", "val_fraction"): (lambda v: 0 <= v < 1, "a fraction in [0, 1)"),
    ("data", "train_limit"): (lambda v: v >= 0, "an integer >= 0 (0: all samples)"),
    ("data", "test_limit"): (lambda v: v >= 0, "an integer >= 0 (0: all samples)"),
    ("model", "hidden"): (lambda v: len(v) >= 1 and min(v) >= 1, "a non-empty list of layer sizes >= 1"),
    ("model", "taps"): (lambda v: v >= 1, "an integer >= 1 (1: no delays)"),
    ("model", "latency_offset"): (lambda v: v in (0, 1), "0 or 1"),
    ("model", "tau_ms"): (lambda v: v > 0, "a time constant > 0 ms (>= dt_ms)"),
    ("model", "readout_tau_ms"): (lambda v: v > 0, "a time constant > 0 ms (>= dt_ms)"),
    ("model", "v_th"): (lambda v: v > 0, "a threshold > 0"),
    ("model", "reset"): (lambda v: v in ("zero", "subtract"), "one of ['subtract', 'zero']"),
    ("model", "surrogate"): (lambda v: v in SURROGATE_KINDS, f"one of {sorted(SURROGATE_KINDS)}"),
    ("model", "surrogate_alpha"): (lambda v: v >= 0, "a sharpness >= 0 (0: the surrogate's default)"),
    ("model", "dropout"): (lambda v: 0 <= v < 1, "a probability in [0, 1)"),
    ("train", "epochs"): (lambda v: v >= 1, "an integer >= 1"),
    ("train", "batch_size"): (lambda v: v >= 1, "an integer >= 1"),
    ("train", "lr"): (lambda v: v > 0, "a learning rate > 0"),
    ("train", "max_lr"): (lambda v: v > 0, "a learning rate > 0"),
    ("train", "weight_decay"): (lambda v: v >= 0, "a value >= 0"),
    ("train", "position_lr"): (lambda v: v >= 0, "a learning rate >= 0"),
    ("train", "seed"): (lambda v: v >= 0, "an integer >= 0"),
    ("train", "threads"): (lambda v: v >= 0, "an integer >= 0 (0: torch's default)"),
}


def _coerce(where: str, value: Any, default: Any, annotation: str) -> Any:
    """Check a value's type against the field's (ints may stand for floats)."""
    if "list" in annotation:
        if value is None and "None" in annotation:
            return None
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"{where}: expected a list of integers, got {value!r}")
        return [int(v) for v in value]
    if annotation == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if annotation == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if annotation == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{where}: expected a finite number, got {value!r}")
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    return value


def from_dict(raw: dict[str, Any], source: str = "config") -> RunConfig:
    """Validate a nested dict (unknown keys and bad values raise ConfigError) into a RunConfig."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping with sections {sorted(SECTIONS)}, got {type(raw).__name__}")
    valid_top = ["name", "bundled", *SECTIONS]
    unknown = sorted(set(raw) - set(valid_top))
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {unknown}; valid top-level keys: {valid_top}")
    config = RunConfig(name=str(raw.get("name", "run")))
    for section, cls in SECTIONS.items():
        values = raw.get(section, {}) or {}
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: [{section}] must be a mapping, got {values!r}")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {unknown} in [{section}]; valid keys: {sorted(known)}")
        obj = getattr(config, section)
        for key, value in values.items():
            where = f"{source}: {section}.{key}"
            value = _coerce(where, value, getattr(obj, key), str(known[key].type))
            check = CHECKS.get((section, key))
            if check is not None and not check[0](value):
                raise ConfigError(f"{where} = {value!r} is invalid; expected {check[1]}")
            setattr(obj, key, value)
    _check_consistency(config, source)
    return config


def _check_consistency(config: RunConfig, source: str) -> None:
    model, data = config.model, config.data
    for key in ("tau_ms", "readout_tau_ms"):
        if getattr(model, key) < data.dt_ms:
            raise ConfigError(f"{source}: model.{key} = {getattr(model, key)} ms is below data.dt_ms = {data.dt_ms} ms; beta = 1 - dt/tau would be negative")
    if data.dataset == "shd" and 700 % data.pool:
        raise ConfigError(f"{source}: data.pool = {data.pool} does not divide SHD's 700 channels; valid: 1, 2, 4, 5, 7, 10, ...")


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge (override wins); returns a new dict."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read_raw(spec: str) -> tuple[dict[str, Any], str]:
    """Raw dict of a preset name or a ``.yaml``/``.yml``/``.toml``/``.json`` file, and its label."""
    if spec in PRESETS:
        text = resources.files("spikesim.train.presets").joinpath(f"{spec}.toml").read_text()
        return tomllib.loads(text), f"preset {spec}"
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"{spec!r} is neither a preset ({', '.join(PRESETS)}) nor a config file")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            return tomllib.loads(text), str(path)
        if path.suffix in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text) or {}, str(path)
        if path.suffix == ".json":
            return json.loads(text), str(path)
    except (tomllib.TOMLDecodeError, ValueError) as err:
        raise ConfigError(f"{path}: cannot parse ({err})") from err
    except Exception as err:  # yaml.YAMLError has no common base with the others
        raise ConfigError(f"{path}: cannot parse ({err})") from err
    raise ConfigError(f"{path}: unknown config format {path.suffix!r}; use .yaml, .yml, .toml or .json")


def resolve(spec: str, bundled: bool, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Load ``spec``; apply its ``bundled`` section when running on bundled data, then CLI overrides."""
    raw, source = read_raw(spec)
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    bundled_section = raw.pop("bundled", None) or {}
    if not isinstance(bundled_section, dict):
        raise ConfigError(f"{source}: [bundled] must be a mapping of section overrides")
    bad = sorted(set(bundled_section) - set(SECTIONS))
    if bad:
        raise ConfigError(f"{source}: unknown section(s) {bad} in [bundled]; valid: {sorted(SECTIONS)}")
    with_bundled = merge(raw, bundled_section)
    from_dict(with_bundled, f"{source} [bundled]")  # both variants must be valid
    return from_dict(merge(with_bundled if bundled else raw, overrides or {}), source)
