"""Customer profiles in a version: per-customer arrays in ``profiles.npz``, the segment summary
(external ids only) in ``segments.json``."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from recommender.profiles import CustomerProfiles

from .mapped_npz import load_npz

PROFILES_FILE = "profiles.npz"
SUMMARY_FILE = "segments.json"


def save_profiles(folder: Path, profiles: CustomerProfiles) -> dict:
    """Write ``profiles.npz`` and ``segments.json``; returns the manifest's short ``profiles`` entry."""
    np.savez(folder / PROFILES_FILE, **profiles.to_arrays())
    (folder / SUMMARY_FILE).write_text(json.dumps(profiles.summary, allow_nan=False))
    summary = profiles.summary
    return {"as_of": summary["as_of"], "stages": {name: m["customers"] for name, m in summary["stages"].items()},
            "key_moment_days": summary["key_moment"]["key_moment_days"],
            "repurchase_window_days": summary["definitions"]["repurchase_window_days"]}


def load_profiles(folder: Path, user_ids: np.ndarray, category_names: np.ndarray) -> CustomerProfiles:
    arrays = load_npz(folder / PROFILES_FILE)
    summary = json.loads((folder / SUMMARY_FILE).read_text())
    return CustomerProfiles(user_ids, category_names, arrays, summary)
