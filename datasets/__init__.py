"""spikesim.datasets: neuromorphic datasets as tonic-style event arrays, dense tensors and batches.

Loaders (``ds[i] -> (events, int label)``, ``t`` in µs; ``.classes``, ``.labels``,
``.sensor_size``; SHD/SSC also ``.speaker``):

- ``load_shd(path, split)``, ``load_ssc(path, split)``: official HDF5 files, read with h5py.
- ``load_nmnist(path, split)``: ``Train/<digit>/*.bin`` files, decoded by tonic's reader.
- ``load_ntidigits(path, split, single_digits=True)``: N-TIDIGITS HDF5.
- ``ShdAdding(source, n_samples, seed)``: two SHD digits in a row, label = sum (19 classes).

Missing files raise ``DatasetError`` naming the files, MD5s and URLs; ``download=True`` fetches
them through tonic. Dense data: ``DenseTransform`` (binning, pooling, N-MNIST options),
``cached(dataset, transform)`` (hash-keyed on-disk cache), ``DenseDataset``, ``collate``,
``iterate_batches``, ``torch_loader``. Bundled data: ``bundled.ensure("shd-synth" |
"nmnist-synth")``. ``describe(path)`` summarises any supported file or folder.

Importing this package loads numpy and h5py only; tonic, torch and scikit-learn load on use.
See ``docs/datasets.md``.
"""

from spikesim.datasets import bundled
from spikesim.datasets.adding import ShdAdding
from spikesim.datasets.cache import cached
from spikesim.datasets.info import describe
from spikesim.datasets.loader import DenseDataset, collate, iterate_batches, torch_loader
from spikesim.datasets.nmnist import load_nmnist
from spikesim.datasets.ntidigits import load_ntidigits
from spikesim.datasets.shd import load_shd, load_ssc
from spikesim.datasets.transforms import DenseTransform

__all__ = [
    "bundled",
    "ShdAdding",
    "cached",
    "describe",
    "DenseDataset",
    "collate",
    "iterate_batches",
    "torch_loader",
    "load_nmnist",
    "load_ntidigits",
    "load_shd",
    "load_ssc",
    "DenseTransform",
]
