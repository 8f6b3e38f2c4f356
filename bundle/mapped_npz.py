"""Memory-mapping the arrays of an uncompressed ``.npz``, as ``np.load(mmap_mode="r")`` does for
a ``.npy``: numpy reads every ``.npz`` member into memory, so each worker would hold its own copy
of the customers' histories and profiles. A version's ``.npz`` files are written uncompressed
(``np.savez``, ``sp.save_npz(compressed=False)``), so each member is a ``.npy`` stored as is at an
offset of the ZIP file, and can be mapped read-only there. A compressed member is read as numpy
would; an object array is refused (``allow_pickle=False``).
"""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, …, file name length, extra field length
_LOCAL_SIGNATURE = b"PK\x03\x04"
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
_MAP_AT_LEAST = 1 << 12  # bytes (a page): smaller members are read, not worth a mapping each


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of ``path`` by name (without ``.npy``), mapped where stored uncompressed."""
    try:
        with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
            return {info.filename.removesuffix(".npy"): _member(path, archive, raw, info)
                    for info in archive.infolist()}
    except zipfile.BadZipFile as error:
        raise ValueError(f"{Path(path).name}: {error}") from None


def load_csr(path: Path) -> sp.csr_matrix:
    """A CSR matrix written by ``sp.save_npz(compressed=False)``, its arrays mapped."""
    arrays = load_npz(path)
    kind = arrays["format"].item()
    kind = kind.decode() if isinstance(kind, bytes) else str(kind)
    if kind != "csr":
        raise ValueError(f"{path.name} holds a {kind} matrix, not csr")
    shape = tuple(int(n) for n in arrays["shape"])
    return sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape, copy=False)


def _member(path: Path, archive: zipfile.ZipFile, raw, info: zipfile.ZipInfo) -> np.ndarray:
    """One member mapped in place, or read when it is small, compressed or of a newer layout."""
    mappable = info.compress_type == zipfile.ZIP_STORED and info.file_size >= _MAP_AT_LEAST
    header = _stored_header(path, raw, info) if mappable else None
    if header is None:
        with archive.open(info) as member:
            return np.lib.format.read_array(member, allow_pickle=False)
    offset, (shape, fortran_order, dtype) = header
    if dtype.hasobject:
        raise ValueError(f"{path.name}: {info.filename} holds Python objects")
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran_order else "C")


def _stored_header(path: Path, raw, info: zipfile.ZipInfo) -> tuple[int, tuple] | None:
    """Where a stored member's array data starts in the file, and its ``.npy`` header."""
    raw.seek(info.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(raw.read(_LOCAL_HEADER.size))
    if signature != _LOCAL_SIGNATURE:
        raise ValueError(f"{path.name}: {info.filename} has no local ZIP header")
    raw.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    read_header = _HEADER_READERS.get(np.lib.format.read_magic(raw))
    if read_header is None:
        return None
    header = read_header(raw)
    return raw.tell(), header
