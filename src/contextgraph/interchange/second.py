"""A second process reading one of a folder's files for an import, as the first sees it: the
process, its end of the pipe, the file, and what the file was when it began."""

from __future__ import annotations

from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from .lines import Signature


class SecondProcess:
    """A forked process reading ``path`` and answering through ``conn`` (see
    :mod:`.staged_links` and :mod:`.tracking_lines`)."""

    def __init__(self, process: BaseProcess, conn: Connection, path: Path, sig: Signature):
        self.process, self.conn, self.path = process, conn, path
        self.signature = sig
        """The file's signature before the second process read it."""

    def stop(self) -> None:
        """End the second process, whatever it is doing."""
        self.conn.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
