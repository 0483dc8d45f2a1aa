"""A trial's artifacts travel back from the worker as one tar.gz; unpacking refuses anything but plain
files and folders inside the trial folder (the agent under test is hostile code)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path, PurePosixPath

MAX_ARCHIVE_BYTES = 512 * 1024 * 1024  # unpacked size limit of one trial's artifacts


class ArchiveError(RuntimeError):
    """The archive holds something that may not be written into the run folder."""


def pack(folder: Path, skip_top: frozenset[str] = frozenset()) -> bytes:
    """tar.gz of a folder's regular files and sub-folders (symbolic links and devices are left out, and
    top-level entries named in `skip_top`)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            if path.relative_to(folder).parts[0] in skip_top:
                continue
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                continue
            tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    return buffer.getvalue()


def unpack(data: bytes, folder: Path, *, limit: int = MAX_ARCHIVE_BYTES,
           refuse_top: frozenset[str] = frozenset()) -> list[str]:
    """Extract into `folder`; ArchiveError (nothing written) for links, devices, absolute or `..` paths,
    top-level names in `refuse_top`, or more than `limit` bytes. Returns the member names."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
        total = 0
        for member in members:
            check_member(member)
            if PurePosixPath(member.name).parts[0] in refuse_top:
                raise ArchiveError(f"member {member.name!r} may not be written here")
            total += member.size
        if total > limit:
            raise ArchiveError(f"artifacts of {total} bytes exceed the limit of {limit}")
        for member in members:
            target = folder.joinpath(*PurePosixPath(member.name).parts)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                raise ArchiveError(f"cannot read {member.name!r}")
            with source, open(target, "wb") as out:
                out.write(source.read())
    return [m.name for m in members]


def check_member(member: tarfile.TarInfo) -> None:
    """Only regular files and folders with a relative path that stays inside."""
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts or not name.parts:
        raise ArchiveError(f"member {member.name!r} leaves the trial folder")
    if not (member.isfile() or member.isdir()):
        raise ArchiveError(f"member {member.name!r} is not a regular file or folder")
