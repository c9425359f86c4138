"""What is installed, checked file by file against each distribution's ``RECORD``
(:mod:`.verify`) and removed file by file from it (:mod:`.purge`)."""

from __future__ import annotations
