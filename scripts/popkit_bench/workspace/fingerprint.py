"""A cheap fingerprint of a repository's git folder, to prove no trial wrote to the run's shared repository.

Each entry of `.git` (refs, packed-refs, objects, config, hooks, info, index, HEAD) contributes its relative
path, type, size, inode, mode and change time (ctime, which no user-space call can set back); small files
(refs, config, HEAD, hooks) contribute their content too. Rewriting an object in place, adding a ref, a
replace ref, a hook or an alternates file, or editing the config all change the fingerprint; no large file
is read, so it costs about a millisecond for a small repository.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

SMALL_FILE = 64 * 1024


def repo_fingerprint(repo: Path) -> str:
    """sha256 over the entries of `repo`/.git (or `repo` itself when it is a bare repository)."""
    gitdir = repo / ".git" if (repo / ".git").is_dir() else repo
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(gitdir, followlinks=False):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if (Path(root) / d).is_symlink()]:
            path = Path(root) / name
            info = path.lstat()
            rel = path.relative_to(gitdir).as_posix()
            digest.update(f"{rel}\0{info.st_mode}\0{info.st_size}\0{info.st_ino}\0{info.st_ctime_ns}\0".encode())
            if stat.S_ISLNK(info.st_mode):
                digest.update(os.readlink(path).encode())
            elif stat.S_ISREG(info.st_mode) and info.st_size <= SMALL_FILE and "objects" not in rel.split("/")[:1]:
                digest.update(path.read_bytes())
    return digest.hexdigest()
