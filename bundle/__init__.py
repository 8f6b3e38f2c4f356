"""The model bundle: the one contract between the training job and the service.

A published version is a folder of ``.npy``/``.npz``, JSON and Annoy files (never pickles) plus
``manifest.json``; ``models/CURRENT`` names the one being served. Training writes it through
:mod:`bundle.writer` and :mod:`bundle.publish`; the service and the offline commands read it
through :mod:`bundle.loader`. This package imports ``recommender`` only: neither side of the
contract owns it.

```
<version>/manifest.json       stats, settings, metrics, Annoy recall, timings, library versions
<version>/users.npy items.npy  external ids, row i = model index i
<version>/categories.npy item_category.npy
<version>/user_factors.npy item_factors.npy
<version>/copurchase.npz popularity.npz trending.npz item_knn.npz
<version>/ease.npy                        only for catalogs small enough for a dense item × item matrix
<version>/confidence.npz purchases.npz    each user's training history (fold-in, buy again)
<version>/last_purchase.npz                days from each user's last purchase of an item to the data's end
<version>/candidate_*.npy                   each user's best new items by the blend (``new_items``), scored
                                           at training time; memory-mapped by the API
<version>/neighbour_*.npy                   each item's nearest items by cosine (related products)
<version>/catalog.json                     catalog snapshot
<version>/profiles.npz segments.json       customers' stages, RFM, predictions; segment summary
<version>/items.ann users.ann items_dot.ann
```
"""
from .errors import ArtifactError, ModelStoreError
from .loader import ModelVersion, load_artifacts
from .publish import CURRENT, fingerprint_files, list_versions, make_version, publish, read_current, staging_dir

__all__ = ["ArtifactError", "ModelStoreError", "ModelVersion", "load_artifacts", "CURRENT", "fingerprint_files",
           "list_versions", "make_version", "publish", "read_current", "staging_dir"]
